//! Every malformed input gives the right key and reason, and no fragment of the value.

use super::*;

/// (entries, key the error names, expected reason; None for a missing-key error).
type BadCase<'a> = (Entries<'a>, &'a str, Option<Reason>);

/// Every malformed input: the error's key and reason, and no fragment of the value in it.
#[test]
fn malformed_inputs_give_clear_errors_without_content() {
    let short_seed = "0x1111111111111111111111111111111111111111111111111111111111";
    let bad_hex = "0xzz11111111111111111111111111111111111111111111111111111111111111";
    let hk_cases: &[BadCase] = &[
        (&[("hotkey", "{not json")], "hotkey", Some(Reason::NotJson)),
        (&[("hotkey", "")], "hotkey", Some(Reason::Empty)),
        (&[("hotkey", "{}")], "hotkey", Some(Reason::NoSecret)),
        (
            &[("hotkey", r#"{"secretPhrase":1}"#)],
            "hotkey",
            Some(Reason::NotJson),
        ),
        (
            &[("hotkey", &format!(r#"{{"privateKey":"{DEV_PRIVATE}"}}"#))],
            "hotkey.privateKey",
            Some(Reason::PrivateKeyOnly),
        ),
        (
            &[("hotkey", &format!(r#"{{"secretSeed":"{short_seed}"}}"#))],
            "hotkey.secretSeed",
            Some(Reason::WrongLength(32)),
        ),
        (
            &[("hotkey", &format!(r#"{{"secretPhrase":"{BAD_CHECKSUM}"}}"#))],
            "hotkey.secretPhrase",
            Some(Reason::BadMnemonic),
        ),
        (
            &[(
                "hotkey",
                &format!(r#"{{"secretPhrase":"{DEV_PHRASE}","ss58Address":"{SEED_11_SS58}"}}"#),
            )],
            "hotkey.ss58Address",
            Some(Reason::PublicMismatch("ss58Address")),
        ),
        (
            &[(
                "hotkey",
                &format!(r#"{{"secretSeed":"{DEV_SEED}","publicKey":"{SEED_11}"}}"#),
            )],
            "hotkey.publicKey",
            Some(Reason::PublicMismatch("publicKey")),
        ),
        (
            &[("hotkey", "$NACL0123456789012345678901234567890123456789")],
            "hotkey",
            Some(Reason::NeedsPassword),
        ),
        (
            &[("hotkey", "$ANSIBLE_VAULT;1.1;AES256\n3131")],
            "hotkey",
            Some(Reason::UnsupportedEncryption),
        ),
        (
            &[("mnemonic", BAD_CHECKSUM)],
            "mnemonic",
            Some(Reason::BadMnemonic),
        ),
        (
            &[("mnemonic", "bottom drive obey")],
            "mnemonic",
            Some(Reason::BadMnemonic),
        ),
        (&[("mnemonic", "  \n")], "mnemonic", Some(Reason::Empty)),
        (
            &[("seed", short_seed)],
            "seed",
            Some(Reason::WrongLength(32)),
        ),
        (
            &[("seed", &format!("{DEV_SEED}00"))],
            "seed",
            Some(Reason::WrongLength(32)),
        ),
        (&[("seed", bad_hex)], "seed", Some(Reason::NotHex)),
        (&[("seed", "0x")], "seed", Some(Reason::Empty)),
        (&[("seed", "")], "seed", Some(Reason::Empty)),
        (&[("coldkey", DEV_PHRASE), ("note", "x")], "", None),
        (&[], "", None),
    ];
    for (entries, key, reason) in hk_cases {
        let err = parse_hotkey_secret("tf/hk", &data(entries)).unwrap_err();
        check_error(&err, key, *reason, entries);
        assert!(err.to_string().contains(r#"Secret "tf/hk""#), "{err}");
    }

    let ck_cases: &[BadCase] = &[
        (
            &[("proxy-mnemonic", DEV_PHRASE), ("real", "5Nope")],
            "real",
            Some(Reason::BadSs58),
        ),
        (
            &[("proxy-seed", DEV_SEED), ("real", DEV_PHRASE)],
            "real",
            Some(Reason::BadSs58),
        ),
        (
            &[("proxy-seed", DEV_SEED), ("real", "")],
            "real",
            Some(Reason::Empty),
        ),
        (&[("proxy-seed", DEV_SEED)], "", None),
        (
            &[("proxy-mnemonic", BAD_CHECKSUM), ("real", SEED_11_SS58)],
            "proxy-mnemonic",
            Some(Reason::BadMnemonic),
        ),
        (
            &[("coldkey", "{oops"), ("password", "pw")],
            "coldkey",
            Some(Reason::NotJson),
        ),
        (
            &[("coldkey", "$NACL0123456789012345678901234567890123456789")],
            "coldkey",
            Some(Reason::NeedsPassword),
        ),
        (
            &[("coldkey", "$NACL0123"), ("password", "pw")],
            "coldkey",
            Some(Reason::Truncated),
        ),
        (&[("seed", bad_hex)], "seed", Some(Reason::NotHex)),
        (&[("hotkey", &dev_keyfile())], "", None),
    ];
    for (entries, key, reason) in ck_cases {
        let err = parse_coldkey_secret("tf/ck", &data(entries)).unwrap_err();
        check_error(&err, key, *reason, entries);
    }

    let err = parse_coldkey_secret("tf/ck", &data(&[])).unwrap_err();
    assert!(
        err.to_string()
            .contains("missing key: expected one of mnemonic, seed, coldkey"),
        "{err}"
    );
    let err = parse_hotkey_secret("tf/hk", &data(&[])).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("missing key: expected one of hotkey, mnemonic, seed"),
        "{err}"
    );
    let err = parse_hotkey_secret("tf/hk", &data(&[("seed", short_seed)])).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Secret "tf/hk", key "seed": wrong length (expected 32 bytes)"#
    );
}

#[test]
fn non_utf8_values_are_rejected() {
    let mut d = SecretData::new();
    d.insert("seed".into(), vec![0xff, 0xfe, 0x11]);
    let err = parse_hotkey_secret("hk", &d).unwrap_err();
    check_error(&err, "seed", Some(Reason::NotUtf8), &[]);
    let mut d = SecretData::new();
    d.insert("coldkey".into(), dev_keyfile().into_bytes());
    d.insert("password".into(), vec![0xff]);
    let err = parse_coldkey_secret("ck", &d).unwrap_err();
    check_error(&err, "password", Some(Reason::NotUtf8), &[]);
}

fn check_error(err: &KeyError, key: &str, reason: Option<Reason>, entries: &[(&str, &str)]) {
    match (err, reason) {
        (
            KeyError::Invalid {
                key: k, reason: r, ..
            },
            Some(want),
        ) => {
            assert_eq!((k.as_str(), *r), (key, want), "{err}");
        }
        (KeyError::Missing { .. }, None) => {}
        (e, want) => panic!("got {e:?}, want key {key:?} reason {want:?}"),
    }
    let values: Vec<&str> = entries.iter().map(|(_, v)| *v).collect();
    assert_no_secret(&format!("{err} {err:?}"), &values);
}

/// No value, no run of two of its words and no 8-character piece of any long token appears.
pub(super) fn assert_no_secret(shown: &str, values: &[&str]) {
    for v in values {
        let words: Vec<&str> = v
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            let seq = format!("{} {}", pair[0], pair[1]);
            assert!(!shown.contains(&seq), "{shown:?} shows {seq:?}");
        }
        for w in words.iter().filter(|w| w.len() >= 16) {
            for piece in w.as_bytes().chunks(8).filter(|c| c.len() == 8) {
                let piece = std::str::from_utf8(piece).unwrap();
                assert!(!shown.contains(piece), "{shown:?} shows part of a value");
            }
        }
    }
}
