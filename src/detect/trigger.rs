//! The vocabulary the detector shares with the decoders above it: which layer may
//! hide a key (`Layer`) and the literal that gives it away (`Trigger`). The decoders
//! choose the triggers and hand them to [`super::Detector::new`]; the detector only
//! searches for them in its one pass.

use std::borrow::Cow;

use crate::finding::Encoding;

/// One decoding layer (the output contract names it by [`Layer::encoding`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Base64,
    Percent,
    Escape,
    Concatenation,
    Utf16,
    Utf32,
    Hex,
    /// A hex dump's first offset: the dump is read whole, as hex.
    Dump,
    CharCodes,
    QuotedPrintable,
    Invisible,
    Rot13,
    Rot47,
    Reversed,
    Base32,
    Base85,
    Base58,
    Binary,
    StringArray,
}

impl Layer {
    /// How many layers there are (each one's `as usize` is below).
    pub const COUNT: usize = Layer::StringArray as usize + 1;

    /// The decoding this layer undoes, as findings and reports name it.
    pub fn encoding(self) -> Encoding {
        match self {
            Layer::Base64 => Encoding::Base64,
            Layer::Percent => Encoding::Percent,
            Layer::Escape => Encoding::Escape,
            Layer::Concatenation => Encoding::Concatenation,
            Layer::Utf16 => Encoding::Utf16,
            Layer::Utf32 => Encoding::Utf32,
            Layer::Hex | Layer::Dump => Encoding::Hex,
            Layer::CharCodes => Encoding::CharCodes,
            Layer::QuotedPrintable => Encoding::QuotedPrintable,
            Layer::Invisible => Encoding::Invisible,
            Layer::Rot13 => Encoding::Rot13,
            Layer::Rot47 => Encoding::Rot47,
            Layer::Reversed => Encoding::Reversed,
            Layer::Base32 => Encoding::Base32,
            Layer::Base85 => Encoding::Base85,
            Layer::Base58 => Encoding::Base58,
            Layer::Binary => Encoding::Binary,
            Layer::StringArray => Encoding::StringArray,
        }
    }
}

impl Layer {
    /// Whether `b` may start what the invisible layer removes: an HTML tag's
    /// `<`, or the first byte of an invisible character's UTF-8 (U+00AD, U+180E,
    /// U+200B–U+200F, U+2060–U+2064, U+FEFF). The pass makes a keyword stopped
    /// by one a candidate; the decoder looks closer.
    pub const fn invisible_lead(b: u8) -> bool {
        matches!(b, b'<' | 0xC2 | 0xE1 | 0xE2 | 0xEF)
    }
}

/// A literal whose presence means a layer may hide a keyword here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// Borrowed for the built-in rules' triggers (read from static data: a
    /// hook run would otherwise make 188 small allocations to copy them).
    pub pattern: Cow<'static, [u8]>,
    pub layer: Layer,
    /// Base64 and base32: characters from the start of the 4- or 8-character
    /// group to the trigger.
    /// UTF-16 and UTF-32: bytes from the trigger to the keyword's first character.
    /// Concatenation: the keyword's characters in pieces before the one the
    /// trigger opens (`"qr" + "cp_…"`: 2).
    pub lead: usize,
}
