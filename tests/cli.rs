//! Integration tests: each runs the real qrcp-scan binary on inputs built in
//! temporary folders.

mod util;

mod ambiguous;
mod api;
mod audit;
mod bundles;
mod bundles_real;
mod ci;
mod containers;
mod decoded;
mod dumps;
mod engine_forms;
mod first_hour;
mod git;
mod git_layers;
mod harden;
mod hooks;
mod layer_forms;
mod nested_forms;
mod obfuscated;
mod org;
mod rules;
mod scan;
mod unread;
mod untrusted;
mod url;
mod wasm;
