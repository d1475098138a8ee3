//! The vocabulary the detector shares with the decoders above it: which layer may
//! hide a key (`Layer`) and the literal that gives it away (`Trigger`). The decoders
//! choose the triggers and hand them to [`super::Detector::new`]; the detector only
//! searches for them in its one pass.

/// One decoding, as the output contract names it (`encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Base64,
    Percent,
    Escape,
    Concatenation,
    Utf16,
    Utf32,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Base64 => "base64",
            Layer::Percent => "percent",
            Layer::Escape => "escape",
            Layer::Concatenation => "concatenation",
            Layer::Utf16 => "utf-16",
            Layer::Utf32 => "utf-32",
        }
    }
}

/// A literal whose presence means a layer may hide a keyword here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub pattern: Vec<u8>,
    pub layer: Layer,
    /// Base64: characters from the start of the 4-character group to the trigger.
    /// UTF-16 and UTF-32: bytes from the trigger to the keyword's first character.
    pub lead: usize,
}
