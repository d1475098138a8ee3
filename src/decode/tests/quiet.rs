//! A quiet stretch ([`crate::detect::Detector::pass_each_quiet`]): once a
//! region covers a layer's triggers, the pass looks past them for everything
//! else. A key inside such a stretch, plain or in another layer, is found as
//! it is without one.

use proptest::prelude::*;

use super::*;

/// Fillers of one layer's triggers, each many regions long.
fn filler(kind: usize, n: usize) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    match kind {
        0 => b64.encode("qrcp_live_".repeat(n)).into_bytes(),
        1 => "qrcp%5F".repeat(n).into_bytes(),
        _ => "qrcp\\u005f".repeat(n).into_bytes(),
    }
}

/// The key written plain, in hex, percent-encoded or with `\x` escapes.
fn written(key: &str, form: usize) -> Vec<u8> {
    match form {
        0 => key.as_bytes().to_vec(),
        1 => key
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into_bytes(),
        2 => key.replace('_', "%5F").into_bytes(),
        _ => key
            .bytes()
            .map(|b| format!("\\x{b:02x}"))
            .collect::<String>()
            .into_bytes(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_key_inside_a_quiet_stretch_is_found(
        kind in 0usize..3,
        form in 0usize..4,
        place in 0.05f64..0.95,
        seed in proptest::collection::vec(any::<u8>(), 24),
    ) {
        let key = format!("qrcp_live_{}", body(&seed));
        let mut data = filler(kind, 4000);
        let at = (data.len() as f64 * place) as usize / 4 * 4;
        // Apart from the filler's characters on both sides (a key's body
        // runs on into letters), as a key written into such a file is; hex
        // in base64 goes in as it is (its digits are base64's: the run, and
        // the stretch, go on over it).
        let spaced = !(kind == 0 && form == 1);
        let mut piece = if spaced { b" ".to_vec() } else { Vec::new() };
        piece.extend(written(&key, form));
        if spaced {
            piece.push(b' ');
        }
        data.splice(at..at, piece);
        let (found, _) = scan(&data);
        prop_assert!(
            found.iter().any(|f| f.finding.secret.as_deref() == Some(key.as_str())),
            "filler {kind}, form {form}, at {at}: {:?}",
            found.iter().map(|f| f.finding.secret.clone()).collect::<Vec<_>>()
        );
    }
}
