//! Integration tests: each runs the real qrcp-scan binary on inputs built in
//! temporary folders.

mod util;

mod bundles;
mod rules;
mod scan;
