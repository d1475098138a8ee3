//! Integration tests: each runs the real qrcp-scan binary on inputs built in
//! temporary folders.

mod util;

mod api;
mod audit;
mod bundles;
mod bundles_real;
mod ci;
mod decoded;
mod engine_forms;
mod first_hour;
mod git;
mod git_layers;
mod harden;
mod hooks;
mod org;
mod rules;
mod scan;
mod untrusted;
mod url;
