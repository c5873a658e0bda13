//! Key Secrets as the reconciles see them, without a GET per reconcile: a metadata-only watch of
//! every Secret tells which exist and at which version (names, labels and versions: a few hundred
//! bytes each, never the data); our own Secrets (wallet Secrets, generated hotkeys) are watched
//! with their data. A user's Secret is read once per version it takes: the hotkey kept parsed,
//! the coldkey reduced to its accounts (`wallet::ColdkeyCache`), its keys read again only by the
//! executor, when it signs.

use super::error::{Error, Result};
use super::wallet::{secret_data, ColdkeyCache, ColdkeyIds};
use crate::api::Neuron;
use crate::children::generated_hotkey_secret;
use crate::decide::Blocker;
use crate::keys::{self, HotkeyMaterial};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{PartialObjectMeta, PostParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, ResourceExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// (namespace, name, resourceVersion).
type Version = (String, String, String);
type Parsed = std::result::Result<Arc<HotkeyMaterial>, String>;

pub struct Secrets {
    client: Client,
    index: Store<PartialObjectMeta<Secret>>,
    managed: Store<Secret>,
    hotkeys: Mutex<HashMap<Version, Parsed>>,
    pub coldkeys: Arc<ColdkeyCache>,
}

impl Secrets {
    pub fn new(
        client: Client,
        index: Store<PartialObjectMeta<Secret>>,
        managed: Store<Secret>,
    ) -> Self {
        Self {
            client,
            index,
            managed,
            hotkeys: Mutex::default(),
            coldkeys: Arc::default(),
        }
    }

    /// Both watches have listed once (before, a Secret would look absent).
    pub async fn ready(&self) -> bool {
        self.index.wait_until_ready().await.is_ok() && self.managed.wait_until_ready().await.is_ok()
    }

    /// Both have listed (without waiting).
    pub fn listed(&self) -> bool {
        super::stores::listed(&self.index) && super::stores::listed(&self.managed)
    }

    /// One of our own Secrets, with its data.
    pub fn managed(&self, ns: &str, name: &str) -> Option<Arc<Secret>> {
        self.managed.get(&ObjectRef::new(name).within(ns))
    }

    /// The resourceVersion of any Secret, `None` when it does not exist.
    pub fn version(&self, ns: &str, name: &str) -> Option<String> {
        self.index
            .get(&ObjectRef::new(name).within(ns))
            .map(|m| m.resource_version().unwrap_or_default())
    }

    /// The Secret at `version`: from the managed store when it has that version, else read.
    async fn read(&self, ns: &str, name: &str, version: &str) -> Result<Option<Secret>> {
        if let Some(s) = self
            .managed(ns, name)
            .filter(|s| s.resource_version().as_deref() == Some(version))
        {
            return Ok(Some((*s).clone()));
        }
        Ok(Api::<Secret>::namespaced(self.client.clone(), ns)
            .get_opt(name)
            .await?)
    }

    /// The Neuron's hotkey from Secret `name`, generating it (once, never overwriting) when it
    /// is missing and generation is allowed. `registered`: the hotkey this Neuron already paid
    /// to register, if any: then a missing Secret is never replaced by a new key (it would be
    /// registered and paid for again). `Ok(Err(blocker))`: the Neuron cannot proceed.
    pub async fn hotkey(
        &self,
        neuron: &Neuron,
        name: &str,
        registered: Option<&str>,
    ) -> Result<std::result::Result<Arc<HotkeyMaterial>, Blocker>> {
        let ns = neuron.namespace().unwrap_or_default();
        if let (None, Some(paid)) = (self.version(&ns, name), registered) {
            return Ok(Err(Blocker::HotkeyMissing(format!(
                "hotkey Secret {name} does not exist, and this Neuron registered hotkey {paid}: restore that Secret (no new key is generated: it would be registered and paid for again); to start over with a new key, create the Secret and set annotation {}",
                crate::decide::identity::CONFIRM_HOTKEY
            ))));
        }
        let Some(version) = self.version(&ns, name) else {
            return self.generate(neuron, &ns, name).await;
        };
        let key = (ns.clone(), name.to_string(), version.clone());
        if let Some(hit) = self.hotkeys.lock().expect("hotkeys").get(&key) {
            return Ok(hit.clone().map_err(Blocker::HotkeyInvalid));
        }
        let Some(secret) = self.read(&ns, name, &version).await? else {
            // Deleted since the index saw it: the next event reconciles again.
            return self.generate(neuron, &ns, name).await;
        };
        Ok(self.parse(&secret).map_err(Blocker::HotkeyInvalid))
    }

    fn parse(&self, secret: &Secret) -> Parsed {
        let (ns, name) = (secret.namespace().unwrap_or_default(), secret.name_any());
        let parsed = keys::parse_hotkey_secret(&name, &secret_data(secret))
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let mut cache = self.hotkeys.lock().expect("hotkeys");
        cache.retain(|(n, s, _), _| !(n == &ns && s == &name));
        let version = secret.resource_version().unwrap_or_default();
        cache.insert((ns, name, version), parsed.clone());
        parsed
    }

    async fn generate(
        &self,
        neuron: &Neuron,
        ns: &str,
        name: &str,
    ) -> Result<std::result::Result<Arc<HotkeyMaterial>, Blocker>> {
        if !neuron.spec.wallet.generate_hotkey() {
            return Ok(Err(Blocker::HotkeyMissing(format!(
                "hotkey Secret {name} does not exist and wallet.generateHotkey is false"
            ))));
        }
        let api = Api::<Secret>::namespaced(self.client.clone(), ns);
        let fresh = keys::generate_hotkey().map_err(|e| Error::Keys(e.to_string()))?;
        let secret = generated_hotkey_secret(neuron, name, fresh.keyfile_json());
        let created = match api.create(&PostParams::default(), &secret).await {
            Ok(s) => s,
            // It exists after all (the index lagged, or someone created it first): use theirs,
            // never overwrite a key that may already be registered.
            Err(kube::Error::Api(s)) if s.code == 409 => api.get(name).await?,
            Err(e) => return Err(e.into()),
        };
        if created.data == secret.data {
            tracing::info!(neuron = %neuron.name_any(), secret = name, hotkey = %fresh.ss58(), "generated hotkey");
        }
        Ok(self.parse(&created).map_err(Blocker::HotkeyInvalid))
    }

    /// The accounts of coldkey Secret `name`: `Ok(None)` when it does not exist, `Ok(Some(Err))`
    /// when it is unusable (the message names the Secret and key, never a value).
    pub async fn coldkey(
        &self,
        ns: &str,
        name: &str,
    ) -> Result<Option<std::result::Result<ColdkeyIds, String>>> {
        let Some(version) = self.version(ns, name) else {
            return Ok(None);
        };
        if let Some(known) = self.coldkeys.known(ns, name, &version) {
            return Ok(Some(known));
        }
        let Some(secret) = self.read(ns, name, &version).await? else {
            return Ok(None);
        };
        // An encrypted keyfile without coldkeypub.txt costs a memory-hard KDF once per version.
        let cache = self.coldkeys.clone();
        let ids = tokio::task::spawn_blocking(move || cache.ids_of(&secret))
            .await
            .unwrap_or_else(|_| Err(format!("Secret {name:?}: reading the coldkey failed")));
        Ok(Some(ids))
    }
}
