//! Table-driven tests of every Secret format, precedence and malformed input. Expected values
//! for the dev phrase come from bittensor-wallet 4.1.1 (see tests/vectors/gen_keys.py).

use super::*;

const DEV_PHRASE: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
const DEV_SEED: &str = "0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e";
const DEV_SS58: &str = "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV";
/// The `privateKey` bittensor-wallet 4.1.1 writes for the dev phrase.
const DEV_PRIVATE: &str = "0x05d65584630d16cd4af6d0bec10f34bb504a5dcb62dba2122d49f5a663763d0afd190cce74df356432b410bd64682309d6dedb27c76845daf388557cbac3ca34";
const SEED_11: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const SEED_11_SS58: &str = "5DtDLm5rQHShDqojQpsvcN8tRXHVFaecfDoRet1SU6BFD9Fi";
/// A valid phrase whose last word breaks the checksum.
const BAD_CHECKSUM: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit fit";

fn data(entries: &[(&str, &str)]) -> SecretData {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect()
}

fn dev_keyfile() -> String {
    format!(r#"{{"secretPhrase":"{DEV_PHRASE}","ss58Address":"{DEV_SS58}"}}"#)
}

#[test]
fn hotkey_formats_parse_to_the_right_address() {
    let seed_file = format!(r#"{{"secretSeed":"{SEED_11}"}}"#);
    let cases: &[(&str, &[(&str, &str)], &str)] = &[
        ("keyfile phrase", &[("hotkey", &dev_keyfile())], DEV_SS58),
        ("keyfile seed", &[("hotkey", &seed_file)], SEED_11_SS58),
        ("mnemonic", &[("mnemonic", DEV_PHRASE)], DEV_SS58),
        (
            "mnemonic, newline",
            &[("mnemonic", &format!("{DEV_PHRASE}\n"))],
            DEV_SS58,
        ),
        ("seed", &[("seed", DEV_SEED)], DEV_SS58),
        ("seed no 0x", &[("seed", &SEED_11[2..])], SEED_11_SS58),
        (
            "unknown key ignored",
            &[("seed", SEED_11), ("note", "x")],
            SEED_11_SS58,
        ),
    ];
    for (name, entries, want) in cases {
        let hk =
            parse_hotkey_secret("hk", &data(entries)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hk.ss58(), *want, "{name}");
        assert_eq!(ss58_encode(&hk.public()), *want, "{name}");
        assert_eq!(hk.keypair().public_key().0, hk.public(), "{name}");
    }
}

#[test]
fn precedence_matches_btcli() {
    let cases: &[(&str, &[(&str, &str)], &str)] = &[
        (
            "hotkey over mnemonic and seed",
            &[
                ("hotkey", &dev_keyfile()),
                ("mnemonic", BAD_CHECKSUM),
                ("seed", SEED_11),
            ],
            DEV_SS58,
        ),
        (
            "mnemonic over seed",
            &[("mnemonic", DEV_PHRASE), ("seed", SEED_11)],
            DEV_SS58,
        ),
        (
            "secretPhrase over secretSeed",
            &[(
                "hotkey",
                &format!(r#"{{"secretPhrase":"{DEV_PHRASE}","secretSeed":"{SEED_11}"}}"#),
            )],
            DEV_SS58,
        ),
        (
            "secretSeed over privateKey",
            &[(
                "hotkey",
                &format!(r#"{{"secretSeed":"{SEED_11}","privateKey":"{DEV_PRIVATE}"}}"#),
            )],
            SEED_11_SS58,
        ),
    ];
    for (name, entries, want) in cases {
        let hk =
            parse_hotkey_secret("hk", &data(entries)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hk.ss58(), *want, "{name}");
    }
}

#[test]
fn written_keyfile_matches_bittensor_wallet_fields() {
    let hk = parse_hotkey_secret("hk", &data(&[("mnemonic", DEV_PHRASE)])).unwrap();
    let v: serde_json::Value = serde_json::from_str(hk.keyfile_json()).unwrap();
    let pk = format!("0x{}", hex::encode(hk.public()));
    assert_eq!(v["secretPhrase"], DEV_PHRASE);
    assert_eq!(v["secretSeed"], DEV_SEED);
    assert_eq!(v["privateKey"], DEV_PRIVATE);
    assert_eq!(v["publicKey"], pk.as_str());
    assert_eq!(v["accountId"], pk.as_str());
    assert_eq!(v["ss58Address"], DEV_SS58);
    // From a seed there is no phrase to write.
    let hk = parse_hotkey_secret("hk", &data(&[("seed", DEV_SEED)])).unwrap();
    let v: serde_json::Value = serde_json::from_str(hk.keyfile_json()).unwrap();
    assert!(v.get("secretPhrase").is_none());
    assert_eq!(v["privateKey"], DEV_PRIVATE);

    let public: serde_json::Value = serde_json::from_str(&hk.public_keyfile_json()).unwrap();
    assert_eq!(public.as_object().unwrap().len(), 3);
    assert_eq!(public["ss58Address"], DEV_SS58);
    assert_eq!(public["publicKey"], pk.as_str());
}

#[test]
fn mnemonic_derivation_equals_subxt_signer() {
    let m = bip39::Mnemonic::parse(DEV_PHRASE).unwrap();
    let reference = subxt_signer::sr25519::Keypair::from_phrase(&m, None).unwrap();
    let hk = parse_hotkey_secret("hk", &data(&[("mnemonic", DEV_PHRASE)])).unwrap();
    assert_eq!(hk.public(), reference.public_key().0);
}

#[test]
fn generated_hotkeys_are_fresh_and_reload() {
    let a = generate_hotkey().unwrap();
    let b = generate_hotkey().unwrap();
    assert_ne!(a.public(), b.public());
    let v: serde_json::Value = serde_json::from_str(a.keyfile_json()).unwrap();
    assert_eq!(v["secretPhrase"].as_str().unwrap().split(' ').count(), 12);
    let again = parse_keyfile("gen", a.keyfile_json().as_bytes(), None).unwrap();
    assert_eq!(again.public(), a.public());
    let phrase = v["secretPhrase"].as_str().unwrap();
    let from_phrase = parse_hotkey_secret("hk", &data(&[("mnemonic", phrase)])).unwrap();
    assert_eq!(from_phrase.keyfile_json(), a.keyfile_json());
}

#[test]
fn coldkey_formats() {
    let real = SEED_11_SS58;
    let cases: &[(&str, &[(&str, &str)], &str, Option<&str>)] = &[
        ("mnemonic", &[("mnemonic", DEV_PHRASE)], DEV_SS58, None),
        ("seed", &[("seed", DEV_SEED)], DEV_SS58, None),
        ("keyfile", &[("coldkey", &dev_keyfile())], DEV_SS58, None),
        (
            "mnemonic over coldkey",
            &[("mnemonic", DEV_PHRASE), ("coldkey", "{}")],
            DEV_SS58,
            None,
        ),
        (
            "proxy mnemonic",
            &[("proxy-mnemonic", DEV_PHRASE), ("real", real)],
            real,
            Some(DEV_SS58),
        ),
        (
            "proxy seed",
            &[("proxy-seed", DEV_SEED), ("real", &format!("{real}\n"))],
            real,
            Some(DEV_SS58),
        ),
    ];
    for (name, entries, coldkey, proxy) in cases {
        let ck =
            parse_coldkey_secret("ck", &data(entries)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ck.coldkey_ss58(), *coldkey, "{name}");
        match (&ck.signer, proxy) {
            (ColdkeySigner::Key(k), None) => assert_eq!(ss58_encode(&k.public_key().0), *coldkey),
            (ColdkeySigner::Proxy { proxy: p, real }, Some(want)) => {
                assert_eq!(ss58_encode(&p.public_key().0), *want, "{name}");
                assert_eq!(ck.signer.signer_account(), p.public_key().0);
                assert_eq!(ss58_encode(real), *coldkey);
            }
            (s, _) => panic!("{name}: unexpected signer {s:?}"),
        }
    }
}

/// Every malformed input: the error's key and reason, and no fragment of the value in it.
#[test]
fn malformed_inputs_give_clear_errors_without_content() {
    let short_seed = "0x1111111111111111111111111111111111111111111111111111111111";
    let bad_hex = "0xzz11111111111111111111111111111111111111111111111111111111111111";
    let hk_cases: &[(&[(&str, &str)], &str, Option<Reason>)] = &[
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

    let ck_cases: &[(&[(&str, &str)], &str, Option<Reason>)] = &[
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

#[test]
fn debug_and_display_are_redacted() {
    let hk = parse_hotkey_secret("hk", &data(&[("mnemonic", DEV_PHRASE)])).unwrap();
    assert_eq!(format!("{hk:?}"), format!("HotkeyMaterial({DEV_SS58})"));
    let ck = parse_coldkey_secret("ck", &data(&[("seed", DEV_SEED)])).unwrap();
    assert_eq!(
        format!("{ck:?}"),
        format!("ColdkeyMaterial(Key({DEV_SS58}))")
    );
    let px = parse_coldkey_secret(
        "ck",
        &data(&[("proxy-seed", DEV_SEED), ("real", SEED_11_SS58)]),
    )
    .unwrap();
    let shown = format!("{px:?} {:?}", px.signer);
    assert!(
        shown.contains(SEED_11_SS58) && shown.contains(DEV_SS58),
        "{shown}"
    );
    for s in [format!("{hk:?}"), format!("{ck:?}"), shown] {
        assert_no_secret(&s, &[DEV_PHRASE, DEV_SEED, DEV_PRIVATE]);
    }
}

#[test]
fn labels_are_stable() {
    let e = KeyError::invalid("s", "k", Reason::WrongPassword);
    assert_eq!(e.label(), "wrong_password");
    assert_eq!(
        KeyError::invalid("s", "k", Reason::NotHex).label(),
        "invalid_key"
    );
    let e = KeyError::Missing {
        origin: "s".into(),
        expected: "x",
    };
    assert_eq!(e.label(), "missing_key");
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
fn assert_no_secret(shown: &str, values: &[&str]) {
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
