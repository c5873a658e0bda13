//! The wallet Secret mounted into the pod (`<neuron>-wallet`: hotkey keyfile + coldkeypub.txt only)
//! and the generated hotkey Secret.

use super::labels::{child_labels, owner_ref, wallet_secret_name};
use crate::api::{labels, Neuron};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::ResourceExt;
use std::collections::BTreeMap;
use std::fmt;

/// Key of the hotkey keyfile in both the hotkey Secret and the wallet Secret.
pub const HOTKEY_KEY: &str = "hotkey";
/// Key (and file name) of the coldkey's public keyfile in the wallet Secret.
pub const COLDKEYPUB_KEY: &str = "coldkeypub.txt";
/// The hotkey's file name inside `<wallet>/hotkeys/` (`BT_WALLET_HOTKEY`). Fixed so every pod
/// looks the same; the wallet directory, not the hotkey name, tells neurons apart.
pub const HOTKEY_NAME: &str = "default";
/// Pod template annotation that changes whenever the mounted keys change, so the pod rolls.
pub const WALLET_VERSION_ANNOTATION: &str = "tensorfleet.io/wallet-version";
/// On a rendered (offline) wallet Secret: where its contents come from.
pub const CONTENTS_ANNOTATION: &str = "tensorfleet.io/contents";

/// What goes into the wallet Secret. The hotkey keyfile holds private material: no `Debug` of it.
#[derive(Clone, PartialEq, Eq)]
pub struct WalletFiles {
    /// ss58 of the hotkey (public; used for the version annotation).
    pub hotkey_ss58: String,
    /// btcli hotkey keyfile JSON.
    pub hotkey_keyfile: String,
    /// btcli `coldkeypub.txt` JSON; omitted when the operator knows no coldkey.
    pub coldkeypub: Option<String>,
}

impl fmt::Debug for WalletFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalletFiles")
            .field("hotkey_ss58", &self.hotkey_ss58)
            .field("hotkey_keyfile", &"<redacted>")
            .field("coldkeypub", &self.coldkeypub.is_some())
            .finish()
    }
}

impl WalletFiles {
    /// A short, stable fingerprint of the public parts only (hotkey ss58 and coldkeypub), so the
    /// annotation reveals nothing secret yet changes whenever the mounted identity changes.
    pub fn version(&self) -> String {
        wallet_version(&self.hotkey_ss58, self.coldkeypub.as_deref())
    }
}

/// FNV-1a over the public wallet parts; stable across Rust releases (unlike `DefaultHasher`).
pub fn wallet_version(hotkey_ss58: &str, coldkeypub: Option<&str>) -> String {
    let parts = [hotkey_ss58, "\0", coldkeypub.unwrap_or("")];
    super::fnv1a_hex(parts.iter().flat_map(|p| p.bytes()))
}

/// The `<neuron>-wallet` Secret. `files = None` renders it without data (offline `render`, where
/// the hotkey is not known): an annotation names the Secret its contents come from.
pub fn wallet_secret(neuron: &Neuron, hotkey_secret: &str, files: Option<&WalletFiles>) -> Secret {
    let mut data = BTreeMap::new();
    let mut annotations = BTreeMap::new();
    match files {
        Some(f) => {
            data.insert(
                HOTKEY_KEY.to_string(),
                ByteString(f.hotkey_keyfile.clone().into_bytes()),
            );
            if let Some(pubfile) = &f.coldkeypub {
                data.insert(
                    COLDKEYPUB_KEY.to_string(),
                    ByteString(pubfile.clone().into_bytes()),
                );
            }
        }
        None => {
            annotations.insert(
                CONTENTS_ANNOTATION.to_string(),
                format!("hotkey from Secret {hotkey_secret}; coldkeypub.txt from the coldkey"),
            );
        }
    }
    Secret {
        metadata: ObjectMeta {
            name: Some(wallet_secret_name(neuron)),
            namespace: neuron.namespace(),
            labels: Some(child_labels(neuron)),
            annotations: (!annotations.is_empty()).then_some(annotations),
            owner_references: Some(vec![owner_ref(neuron)]),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        immutable: None,
        data: files.map(|_| data),
        ..Default::default()
    }
}

/// A freshly generated hotkey Secret (`hotkey` key, label `tensorfleet.io/generated=true`).
///
/// Deliberately WITHOUT an owner reference: a registered hotkey is a paid-for identity, and
/// deleting the Neuron by accident must not garbage-collect its key. Delete it by hand (it is
/// labelled with the Neuron) to discard the identity.
pub fn generated_hotkey_secret(neuron: &Neuron, name: &str, keyfile_json: &str) -> Secret {
    let mut l = child_labels(neuron);
    l.insert(labels::GENERATED.into(), "true".into());
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: neuron.namespace(),
            labels: Some(l),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        data: Some(BTreeMap::from([(
            HOTKEY_KEY.to_string(),
            ByteString(keyfile_json.as_bytes().to_vec()),
        )])),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::testutil::neuron;

    fn files(cold: Option<&str>) -> WalletFiles {
        WalletFiles {
            hotkey_ss58: "5Hot".into(),
            hotkey_keyfile: "{\"secretPhrase\":\"word word\"}".into(),
            coldkeypub: cold.map(str::to_string),
        }
    }

    #[test]
    fn wallet_secret_holds_only_hotkey_and_coldkeypub() {
        let n = neuron("m", "sn", "miner");
        let cases = [
            (
                Some(files(Some("{\"ss58Address\":\"5Cold\"}"))),
                vec!["coldkeypub.txt", "hotkey"],
            ),
            (Some(files(None)), vec!["hotkey"]),
            (None, vec![]),
        ];
        for (f, keys) in cases {
            let s = wallet_secret(&n, "m-hotkey", f.as_ref());
            assert_eq!(s.metadata.name.as_deref(), Some("m-wallet"));
            assert_eq!(s.metadata.owner_references.as_ref().unwrap().len(), 1);
            let got: Vec<_> = s.data.iter().flat_map(|d| d.keys().cloned()).collect();
            assert_eq!(got, keys);
            let ann = s.metadata.annotations.unwrap_or_default();
            assert_eq!(ann.contains_key(CONTENTS_ANNOTATION), f.is_none());
        }
    }

    #[test]
    fn version_tracks_public_parts_and_debug_redacts() {
        let a = files(Some("c1"));
        let mut b = a.clone();
        b.hotkey_keyfile = "other private bytes".into();
        assert_eq!(
            a.version(),
            b.version(),
            "private bytes do not enter the hash"
        );
        let mut c = a.clone();
        c.hotkey_ss58 = "5Other".into();
        assert_ne!(a.version(), c.version());
        assert_ne!(a.version(), files(None).version());
        assert_eq!(a.version().len(), 16);
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("word"), "{dbg}");
    }

    #[test]
    fn generated_secret_is_labelled_and_not_owned() {
        let s = generated_hotkey_secret(&neuron("m", "sn", "miner"), "m-hotkey", "{}");
        let l = s.metadata.labels.unwrap();
        assert_eq!(l[labels::GENERATED], "true");
        assert_eq!(l[labels::NEURON], "m");
        assert!(s.metadata.owner_references.is_none());
        assert!(s.data.unwrap().contains_key(HOTKEY_KEY));
    }
}
