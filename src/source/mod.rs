//! Sources yield bytes with their provenance and hand them to a per-thread
//! [`Scanner`]; they never judge or print findings.

pub mod fs;
pub mod git;
pub mod git_index;
pub mod staged;
pub mod stdin;

use crate::detect::Detector;
use crate::finding::{Finding, Provenance};
use crate::scan::{Sink, Stats};

/// One worker's detector and scratch space. Every source funnels blobs through it.
pub struct Scanner {
    pub detector: Detector,
    pub sink: Sink,
    findings: Vec<Finding>,
}

impl Scanner {
    pub fn new(detector: Detector, sink: Sink) -> Scanner {
        Scanner {
            detector,
            sink,
            findings: Vec::new(),
        }
    }

    /// Scans one blob: path rules on its name, content rules on its bytes.
    pub fn scan_blob(&mut self, data: &[u8], prov: &Provenance) {
        self.detector.detect_path(prov, &mut self.findings);
        let st = self.detector.detect(data, prov, &mut self.findings);
        Stats::add(&self.sink.stats.placeholders, st.placeholders);
        self.sink.put(&mut self.findings);
    }
}
