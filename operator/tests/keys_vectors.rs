//! Key formats against vectors from an independent implementation (bittensor-wallet, see
//! tests/vectors/gen_keys.py), and a scan of everything logged while handling keys.
//!
//! The `$NACL` cases run Argon2i over 512 MiB per decryption (serialised by the keys module).

use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tensorfleet::keys::{self, KeyError, Reason, SecretData};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/keys.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("tests/vectors/keys.json")).unwrap()
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_str()
        .unwrap_or_else(|| panic!("vector {path:?}"))
}

fn data(entries: &[(&str, &[u8])]) -> SecretData {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
}

fn nacl_file(v: &Value) -> Vec<u8> {
    hex::decode(s(v, &["nacl_coldkey", "file_hex"])).unwrap()
}

#[test]
fn addresses_match_bittensor_wallet() {
    let v = vectors();
    let hk = keys::parse_hotkey_secret(
        "v",
        &data(&[("mnemonic", s(&v, &["mnemonic", "phrase"]).as_bytes())]),
    )
    .unwrap();
    assert_eq!(hk.ss58(), s(&v, &["mnemonic", "ss58"]));
    let hk = keys::parse_hotkey_secret("v", &data(&[("seed", s(&v, &["seed", "hex"]).as_bytes())]))
        .unwrap();
    assert_eq!(hk.ss58(), s(&v, &["seed", "ss58"]));

    let keyfile = s(&v, &["hotkey_keyfile", "json"]);
    let want = s(&v, &["hotkey_keyfile", "ss58"]);
    let hk = keys::parse_hotkey_secret("v", &data(&[("hotkey", keyfile.as_bytes())])).unwrap();
    assert_eq!(hk.ss58(), want);
    // Our rewrite of their keyfile carries the same secret fields.
    let theirs: Value = serde_json::from_str(keyfile).unwrap();
    let ours: Value = serde_json::from_str(hk.keyfile_json()).unwrap();
    for field in [
        "secretPhrase",
        "secretSeed",
        "privateKey",
        "publicKey",
        "accountId",
        "ss58Address",
    ] {
        assert_eq!(ours[field], theirs[field], "{field}");
    }
}

#[test]
fn nacl_coldkey_decrypts_and_wrong_password_is_clear() {
    let v = vectors();
    let file = nacl_file(&v);
    let password = s(&v, &["nacl_coldkey", "password"]);
    let want = s(&v, &["nacl_coldkey", "ss58"]);

    let ck = keys::parse_coldkey_secret(
        "tf/cold",
        &data(&[("coldkey", &file), ("password", password.as_bytes())]),
    )
    .unwrap();
    assert_eq!(ck.coldkey_ss58(), want);
    assert!(matches!(ck.signer, keys::ColdkeySigner::Key(_)));

    let err = keys::parse_coldkey_secret(
        "tf/cold",
        &data(&[("coldkey", &file), ("password", b"not-the-password")]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Secret "tf/cold", key "coldkey": wrong password or corrupted"#
    );
    assert_eq!(err.label(), "wrong_password");

    // The CLI path reads the same file; without a password it says so instead of guessing.
    let err = keys::parse_keyfile("coldkey", &file, None).unwrap_err();
    assert!(
        matches!(
            err,
            KeyError::Invalid {
                reason: Reason::NeedsPassword,
                ..
            }
        ),
        "{err}"
    );
}

/// Runs every key path under a TRACE subscriber and fails if any secret (hex, words, base64)
/// shows up in what was logged, including the Debug/Display of every result and error.
#[test]
fn nothing_secret_reaches_the_logs() {
    assert_eq!(
        (base64(b"Man"), base64(b"Ma")),
        ("TWFu".into(), "TWE".into())
    );
    let v = vectors();
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || Capture(writer.clone()))
        .finish();

    let mut secrets: Vec<Vec<u8>> = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        tracing::trace!("capture-canary");
        let generated = keys::generate_hotkey().unwrap();
        tracing::trace!(?generated, "generated");
        secrets.extend(keyfile_secrets(generated.keyfile_json()));

        let phrase = s(&v, &["mnemonic", "phrase"]);
        let seed = s(&v, &["seed", "hex"]);
        let keyfile = s(&v, &["hotkey_keyfile", "json"]);
        let password = s(&v, &["nacl_coldkey", "password"]);
        let file = nacl_file(&v);
        secrets.push(phrase.as_bytes().to_vec());
        secrets.push(seed.as_bytes().to_vec());
        secrets.push(hex::decode(&seed[2..]).unwrap());
        secrets.push(password.as_bytes().to_vec());
        secrets.extend(keyfile_secrets(keyfile));

        let hot: &[(&str, &[u8])] = &[
            ("mnemonic", phrase.as_bytes()),
            ("seed", seed.as_bytes()),
            ("hotkey", keyfile.as_bytes()),
            ("hotkey", &keyfile.as_bytes()[1..]),
            ("mnemonic", &phrase.as_bytes()[..phrase.len() - 2]),
            ("seed", &seed.as_bytes()[..40]),
            ("hotkey", &file),
        ];
        for (key, value) in hot {
            let r = keys::parse_hotkey_secret("tf/hot", &data(&[(key, value)]));
            tracing::trace!(?r, "hotkey result");
            if let Err(e) = r {
                tracing::error!(error = %e, "hotkey error");
            }
        }
        let cold: &[&[(&str, &[u8])]] = &[
            &[("mnemonic", phrase.as_bytes())],
            &[("proxy-seed", seed.as_bytes()), ("real", phrase.as_bytes())],
            &[("coldkey", &file), ("password", password.as_bytes())],
            &[("coldkey", &file), ("password", b"wrong")],
        ];
        for entries in cold {
            let r = keys::parse_coldkey_secret("tf/cold", &data(entries));
            tracing::trace!(?r, "coldkey result");
            if let Err(e) = r {
                tracing::error!(error = %e, "coldkey error");
            }
        }
    });

    // phrase, seed and privateKey of two keyfiles (text + bytes), plus the vector inputs.
    assert_eq!(secrets.len(), 14);
    let logged = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("capture-canary"), "capture works");
    assert!(logged.contains("wrong password or corrupted"), "{logged}");
    assert!(
        logged.contains("loaded key"),
        "the keys module logs: {logged}"
    );
    for secret in &secrets {
        for form in forms(secret) {
            assert!(!logged.contains(&form), "a secret was logged:\n{logged}");
        }
    }
}

/// The secret fields of a btcli keyfile, as their text and their raw bytes.
fn keyfile_secrets(json: &str) -> Vec<Vec<u8>> {
    let v: Value = serde_json::from_str(json).unwrap();
    let mut out = Vec::new();
    for field in ["secretPhrase", "secretSeed", "privateKey"] {
        if let Some(text) = v[field].as_str() {
            out.push(text.as_bytes().to_vec());
            if let Some(h) = text.strip_prefix("0x") {
                out.push(hex::decode(h).unwrap());
            }
        }
    }
    out
}

/// Text, lowercase/uppercase hex and base64 of a secret.
fn forms(secret: &[u8]) -> Vec<String> {
    let mut out = vec![
        hex::encode(secret),
        hex::encode_upper(secret),
        base64(secret),
    ];
    if let Ok(text) = std::str::from_utf8(secret) {
        out.push(text.trim_start_matches("0x").to_string());
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=c.len() {
            out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out // unpadded: a prefix of the padded form, so `contains` still finds padded copies
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
