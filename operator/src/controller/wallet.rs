//! The Neuron's keys: its hotkey Secret (used as is, or generated once, never overwritten), the
//! coldkey's public key for `coldkeypub.txt`, and the wallet files the pod gets.

use super::error::{Error, Result};
use crate::api::Neuron;
use crate::children::{generated_hotkey_secret, WalletFiles};
use crate::decide::Blocker;
use crate::keys::{self, HotkeyMaterial, SecretData};
use k8s_openapi::api::core::v1::Secret;
use kube::api::PostParams;
use kube::{Api, ResourceExt};
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

/// Reads the hotkey Secret, or creates it with a fresh hotkey when allowed. `Ok(Err(blocker))`
/// when the Neuron cannot proceed (missing and not generated, or unusable).
pub async fn resolve_hotkey(
    secrets: &Api<Secret>,
    neuron: &Neuron,
    name: &str,
) -> Result<std::result::Result<HotkeyMaterial, Blocker>> {
    let existing = match secrets.get_opt(name).await? {
        Some(s) => s,
        None if !neuron.spec.wallet.generate_hotkey() => {
            return Ok(Err(Blocker::HotkeyMissing(format!(
                "hotkey Secret {name} does not exist and wallet.generateHotkey is false"
            ))))
        }
        None => {
            let fresh = keys::generate_hotkey().map_err(|e| Error::Keys(e.to_string()))?;
            let secret = generated_hotkey_secret(neuron, name, fresh.keyfile_json());
            match secrets.create(&PostParams::default(), &secret).await {
                Ok(_) => {
                    tracing::info!(neuron = %neuron.name_any(), secret = name, hotkey = %fresh.ss58(), "generated hotkey");
                    return Ok(Ok(fresh));
                }
                // Someone created it first: use theirs, never overwrite.
                Err(kube::Error::Api(s)) if s.code == 409 => secrets.get(name).await?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(keys::parse_hotkey_secret(name, &secret_data(&existing))
        .map_err(|e| Blocker::HotkeyInvalid(e.to_string())))
}

/// What each coldkey Secret version gave, by (namespace, Secret, resourceVersion): its public key,
/// or why it is unusable. An encrypted keyfile costs a memory-hard KDF (512 MiB, seconds of CPU),
/// so neither outcome is recomputed on every reconcile: a wrong password shared by many Neurons
/// would otherwise keep a core busy. Holds public keys and fixed-text errors only.
#[derive(Default)]
pub struct ColdkeyCache(Mutex<HashMap<SecretVersion, Result<[u8; 32], String>>>);

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
    /// The coldkey's public key from its Secret: `coldkeypub.txt` or `real` if present, else the
    /// parsed key. `Ok(None)` when the Secret does not exist; `Err(message)` when it is unusable.
    pub async fn coldkey(
        &self,
        secrets: &Api<Secret>,
        name: &str,
    ) -> Result<std::result::Result<Option<[u8; 32]>, String>> {
        let Some(secret) = secrets.get_opt(name).await? else {
            return Ok(Ok(None));
        };
        Ok(self.public_of(&secret).map(Some))
    }

    /// [`ColdkeyCache::coldkey`] for a Secret already read.
    pub fn public_of(&self, secret: &Secret) -> std::result::Result<[u8; 32], String> {
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
        self.0
            .lock()
            .expect("coldkey cache")
            .insert(id, public.clone());
        public
    }

    /// Why this version of the Secret cannot sign, if an earlier attempt found out.
    pub fn known_unusable(&self, secret: &Secret) -> Option<String> {
        match self
            .0
            .lock()
            .expect("coldkey cache")
            .get(&version_of(secret))
        {
            Some(Err(msg)) => Some(msg.clone()),
            _ => None,
        }
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
        let err = cache.public_of(&bad).unwrap_err();
        assert!(
            err.contains("\"cold\"") && err.contains("not valid JSON"),
            "{err}"
        );
        assert_eq!(cache.known_unusable(&bad).as_deref(), Some(err.as_str()));
        // the same version answers from the cache, a new version is parsed again
        assert_eq!(cache.public_of(&bad).unwrap_err(), err);
        let fixed = secret(
            "2",
            &[(
                "mnemonic",
                b"bottom drive obey lake curtain smoke basket hold race lonely fit walk",
            )],
        );
        assert!(cache.public_of(&fixed).is_ok());
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
