//! Table-driven tests of every Secret format, precedence and malformed input. Expected values
//! for the dev phrase come from bittensor-wallet 4.1.1 (see tests/vectors/gen_keys.py).

use super::*;

mod malformed;

use malformed::assert_no_secret;

pub(super) const DEV_PHRASE: &str =
    "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
pub(super) const DEV_SEED: &str =
    "0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e";
pub(super) const DEV_SS58: &str = "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV";
/// The `privateKey` bittensor-wallet 4.1.1 writes for the dev phrase.
pub(super) const DEV_PRIVATE: &str = "0x05d65584630d16cd4af6d0bec10f34bb504a5dcb62dba2122d49f5a663763d0afd190cce74df356432b410bd64682309d6dedb27c76845daf388557cbac3ca34";
pub(super) const SEED_11: &str =
    "0x1111111111111111111111111111111111111111111111111111111111111111";
pub(super) const SEED_11_SS58: &str = "5DtDLm5rQHShDqojQpsvcN8tRXHVFaecfDoRet1SU6BFD9Fi";
/// A valid phrase whose last word breaks the checksum.
pub(super) const BAD_CHECKSUM: &str =
    "bottom drive obey lake curtain smoke basket hold race lonely fit fit";

/// A Secret's entries as (key, value) text.
pub(super) type Entries<'a> = &'a [(&'a str, &'a str)];
/// (case name, entries, expected ss58).
pub(super) type Case<'a> = (&'a str, Entries<'a>, &'a str);

pub(super) fn data(entries: &[(&str, &str)]) -> SecretData {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect()
}

pub(super) fn dev_keyfile() -> String {
    format!(r#"{{"secretPhrase":"{DEV_PHRASE}","ss58Address":"{DEV_SS58}"}}"#)
}

#[test]
fn hotkey_formats_parse_to_the_right_address() {
    let seed_file = format!(r#"{{"secretSeed":"{SEED_11}"}}"#);
    let cases: &[Case] = &[
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
    let cases: &[Case] = &[
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
    let cases: &[(&str, Entries, &str, Option<&str>)] = &[
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
