//! The built-in rules' search heads (`super::computed_heads`), kept as data by a test:
//! `QRCP_UPDATE_TRIGGERS=1 cargo test builtin` writes this file again when
//! the rules or what they make change, and the test fails until it is.

/// `crate::decode::trigger_fingerprint` of the rules this was made for.
pub const FINGERPRINT: u64 = 0x079eaa3ff47e2021;

/// Every row's bytes, one after the other.
pub const BYTES: &[u8] = b"QRCOQRCPq\x00r\x00q\x00\x00\x00cXJjFyY3xcmN7172qrcpQ\x00R\x00Q\x00\x00\x00\\x71\\u00\\u{7\\161&#11&#x7113,0x7171 771:771-7JTcxU3MSlNzE%71%depceviltsetcQByEAcgxAHIY1hKNYSmjWEpRnlZZ5WTGeVkeGNthjbU4Y21q\',\'q\",\"q\', q\", FZGGYXEYC4TD4LSMJRXAdataDATADataH4sIKLUvUEsD";

/// (start in `BYTES`, length) of each head, in order.
pub const HEADS: [(u16, u8); 56] = [
    (0, 4),
    (4, 4),
    (8, 4),
    (12, 4),
    (16, 4),
    (20, 4),
    (24, 4),
    (28, 4),
    (32, 4),
    (36, 4),
    (40, 4),
    (44, 4),
    (48, 4),
    (52, 4),
    (56, 4),
    (60, 4),
    (64, 4),
    (68, 4),
    (72, 4),
    (76, 4),
    (80, 4),
    (84, 4),
    (88, 4),
    (92, 4),
    (96, 4),
    (100, 4),
    (104, 4),
    (108, 4),
    (112, 4),
    (116, 4),
    (120, 4),
    (124, 4),
    (128, 4),
    (132, 4),
    (136, 4),
    (140, 4),
    (144, 4),
    (148, 4),
    (152, 4),
    (156, 4),
    (160, 4),
    (164, 4),
    (168, 4),
    (172, 4),
    (176, 4),
    (180, 4),
    (184, 4),
    (188, 4),
    (192, 4),
    (196, 4),
    (200, 4),
    (204, 4),
    (208, 4),
    (212, 4),
    (216, 4),
    (220, 4),
];
