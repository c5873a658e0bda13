//! What the operator learns from key Secrets without keeping the keys: the coldkey's public key
//! (for `coldkeypub.txt`) and the account that signs for it, per Secret version; and the wallet
//! files the pod gets.

use crate::children::WalletFiles;
use crate::keys::{self, HotkeyMaterial, SecretData};
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use std::collections::HashMap;
use std::sync::Mutex;

/// Key of a coldkey Secret that may carry the public keyfile (`coldkeypub.txt`) or, for a
/// proxy, the coldkey's ss58 (`real`): either lets the operator skip decrypting the coldkey.
const COLDKEYPUB_KEY: &str = "coldkeypub.txt";
const PROXY_REAL_KEY: &str = "real";

pub(crate) fn secret_data(s: &Secret) -> SecretData {
    s.data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect()
}

/// The accounts of a coldkey Secret: who pays, and who signs (the coldkey, or its proxy key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColdkeyIds {
    pub payer: [u8; 32],
    pub account: [u8; 32],
}

/// What each coldkey Secret version gave, by (namespace, Secret, resourceVersion): its accounts,
/// or why it is unusable. An encrypted keyfile costs a memory-hard KDF (512 MiB, seconds of CPU),
/// so neither outcome is recomputed on every reconcile: a wrong password shared by many Neurons
/// would otherwise keep a core busy. Holds public keys and fixed-text errors only.
#[derive(Default)]
pub struct ColdkeyCache(Mutex<HashMap<SecretVersion, Result<ColdkeyIds, String>>>);

/// (namespace, name, resourceVersion) of a Secret.
type SecretVersion = (String, String, String);

fn version_of(secret: &Secret) -> SecretVersion {
    (
        secret.namespace().unwrap_or_default(),
        secret.name_any(),
        secret.resource_version().unwrap_or_default(),
    )
}

impl ColdkeyCache {
    /// The version already seen, if it was.
    pub fn known(
        &self,
        namespace: &str,
        name: &str,
        version: &str,
    ) -> Option<Result<ColdkeyIds, String>> {
        let id = (namespace.to_string(), name.to_string(), version.to_string());
        self.0.lock().expect("coldkey cache").get(&id).cloned()
    }

    /// The Secret's accounts: the payer from `coldkeypub.txt` or `real` if present, else from
    /// the parsed key; the signer is the proxy key if it signs through one.
    pub fn ids_of(&self, secret: &Secret) -> Result<ColdkeyIds, String> {
        let id = version_of(secret);
        if let Some(known) = self.0.lock().expect("coldkey cache").get(&id) {
            return known.clone();
        }
        let name = id.1.as_str();
        let data = secret_data(secret);
        let public = if let Some(pubfile) = data.get(COLDKEYPUB_KEY) {
            public_from_pubfile(pubfile).ok_or_else(|| {
                format!(
                    "Secret {name:?}, key {COLDKEYPUB_KEY:?}: no valid ss58Address or publicKey"
                )
            })
        } else if let Some(real) = data.get(PROXY_REAL_KEY) {
            std::str::from_utf8(real)
                .ok()
                .and_then(|s| keys::ss58_decode(s.trim()).ok())
                .ok_or_else(|| {
                    format!("Secret {name:?}, key {PROXY_REAL_KEY:?}: not a valid SS58 address")
                })
        } else {
            keys::parse_coldkey_secret(name, &data)
                .map(|m| m.coldkey())
                .map_err(|e| e.to_string())
        };
        let ids = public.and_then(|payer| {
            let proxy = keys::proxy_account(name, &data).map_err(|e| e.to_string())?;
            Ok(ColdkeyIds {
                payer,
                account: proxy.unwrap_or(payer),
            })
        });
        let mut cache = self.0.lock().expect("coldkey cache");
        // Older versions of the same Secret are never asked about again.
        cache.retain(|(ns, n, _), _| !(ns == &id.0 && n == &id.1));
        cache.insert(id, ids.clone());
        ids
    }

    /// Why this version of the Secret cannot sign, if an earlier attempt found out.
    pub fn known_unusable(&self, secret: &Secret) -> Option<String> {
        let (ns, name, version) = version_of(secret);
        self.known(&ns, &name, &version)?.err()
    }

    /// Records that this version of the Secret cannot sign (it may still carry a public key).
    pub fn remember_unusable(&self, secret: &Secret, message: &str) {
        self.0
            .lock()
            .expect("coldkey cache")
            .insert(version_of(secret), Err(message.to_string()));
    }
}

/// `coldkeypub.txt` JSON: `ss58Address` (or `publicKey` hex).
fn public_from_pubfile(bytes: &[u8]) -> Option<[u8; 32]> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if let Some(k) = v
        .get("ss58Address")
        .and_then(|s| s.as_str())
        .and_then(|s| keys::ss58_decode(s).ok())
    {
        return Some(k);
    }
    let hex_key = v.get("publicKey")?.as_str()?.trim_start_matches("0x");
    hex::decode(hex_key).ok()?.try_into().ok()
}

/// The files mounted into the pod.
pub fn wallet_files(hotkey: &HotkeyMaterial, coldkey: Option<[u8; 32]>) -> WalletFiles {
    WalletFiles {
        hotkey_ss58: hotkey.ss58(),
        hotkey_keyfile: hotkey.keyfile_json().to_string(),
        coldkeypub: coldkey.map(|c| keys::public_keyfile_json(&c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    fn secret(rv: &str, data: &[(&str, &[u8])]) -> Secret {
        let mut s = Secret::default();
        s.metadata.name = Some("cold".into());
        s.metadata.namespace = Some("ns".into());
        s.metadata.resource_version = Some(rv.into());
        s.data = Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.to_vec())))
                .collect(),
        );
        s
    }

    #[test]
    fn unusable_coldkeys_are_remembered_per_version() {
        let cache = ColdkeyCache::default();
        let bad = secret("1", &[("coldkey", b"{not json")]);
        let err = cache.ids_of(&bad).unwrap_err();
        assert!(
            err.contains("\"cold\"") && err.contains("not valid JSON"),
            "{err}"
        );
        assert_eq!(cache.known_unusable(&bad).as_deref(), Some(err.as_str()));
        // the same version answers from the cache, a new version is parsed again
        assert_eq!(cache.ids_of(&bad).unwrap_err(), err);
        let fixed = secret(
            "2",
            &[(
                "mnemonic",
                b"bottom drive obey lake curtain smoke basket hold race lonely fit walk",
            )],
        );
        let ids = cache.ids_of(&fixed).unwrap();
        assert_eq!(ids.payer, ids.account, "a mnemonic signs for itself");
        assert_eq!(cache.known_unusable(&fixed), None);
        // a public key is known, yet signing failed: the next attempt need not parse again
        cache.remember_unusable(&fixed, "Secret \"cold\": cannot sign");
        assert!(cache.known_unusable(&fixed).is_some());
    }

    #[test]
    fn pubfile_forms() {
        let pk = [7u8; 32];
        let ss58 = keys::ss58_encode(&pk);
        let cases = [
            (format!("{{\"ss58Address\":\"{ss58}\"}}"), Some(pk)),
            (
                format!("{{\"publicKey\":\"0x{}\"}}", hex::encode(pk)),
                Some(pk),
            ),
            ("{\"ss58Address\":\"nope\"}".to_string(), None),
            ("not json".to_string(), None),
        ];
        for (text, want) in cases {
            assert_eq!(public_from_pubfile(text.as_bytes()), want, "{text}");
        }
        assert!(keys::public_keyfile_json(&pk).contains(&ss58));
    }
}
