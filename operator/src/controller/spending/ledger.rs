//! The ledger as stored: `Spend` objects, one per extrinsic that may cost TAO. Intents are created
//! before submission under a name derived from (signer, nonce, birth block) so a retried create
//! finds the first one; outcomes are written once (a resourceVersion precondition makes a
//! second, concurrent resolution fail and then find the first). What we wrote is kept in memory
//! until the watch shows it, so a decision right after our own write never misses it.

use super::super::error::Result;
use crate::api::{labels, Spend, SpendSpec, SpendStatus};
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::reflector::Store;
use kube::{Api, Client, ResourceExt};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct Ledger {
    client: Client,
    store: Store<Spend>,
    /// (namespace, name) → the newest copy we wrote (`None`: we deleted it), until the store
    /// shows it.
    mine: Mutex<HashMap<(String, String), Option<Spend>>>,
}

/// The intent's name: the same (signer, nonce, birth block, netuid, call) always gives the same
/// name, so a create retried after a lost answer cannot record the extrinsic twice.
pub fn spend_name(spec: &SpendSpec) -> String {
    use sha2::{Digest, Sha256};
    let key = format!(
        "{}|{}|{}|{}|{}",
        spec.signer,
        spec.nonce,
        spec.birth_block,
        spec.netuid,
        spec.call.as_str()
    );
    let digest = Sha256::digest(key.as_bytes());
    format!(
        "{}-{}",
        spec.call.as_str().to_ascii_lowercase(),
        hex::encode(&digest[..8])
    )
}

impl Ledger {
    pub fn new(client: Client, store: Store<Spend>) -> Self {
        Self {
            client,
            store,
            mine: Mutex::default(),
        }
    }

    /// Waits for the watch's first complete list: before it, a sum would miss spends.
    pub async fn ready(&self) -> bool {
        self.store.wait_until_ready().await.is_ok()
    }

    /// Listed (without waiting).
    pub fn listed(&self) -> bool {
        crate::controller::stores::listed(&self.store)
    }

    /// Every spend of `namespace`: the watched ones, with our newer writes over them.
    pub fn of_namespace(&self, namespace: &str) -> Vec<Spend> {
        let mut mine = self.mine.lock().expect("ledger lock");
        let mut out: HashMap<String, Spend> = self
            .store
            .state()
            .iter()
            .filter(|s| s.metadata.namespace.as_deref() == Some(namespace))
            .map(|s| (s.name_any(), (**s).clone()))
            .collect();
        mine.retain(|(ns, name), ours| {
            if ns != namespace {
                return true;
            }
            let seen = out.get(name);
            match ours {
                // Deleted by us: gone, whatever the store still shows, until it agrees.
                None => out.remove(name).is_some(),
                // The store caught up with our write (or a later resolution): forget ours.
                Some(o)
                    if seen.is_some_and(|s| {
                        s.resource_version() == o.resource_version() || s.resolved()
                    }) =>
                {
                    false
                }
                Some(o) => {
                    out.insert(name.clone(), o.clone());
                    true
                }
            }
        });
        out.into_values().collect()
    }

    /// The current copy of `spend` (ours if newer than the watch's), if it still exists.
    pub fn get(&self, spend: &Spend) -> Option<Spend> {
        let ns = spend.namespace().unwrap_or_default();
        self.of_namespace(&ns)
            .into_iter()
            .find(|s| s.name_any() == spend.name_any())
    }

    /// Every namespace that has spends (watched or ours).
    pub fn namespaces(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .store
            .state()
            .iter()
            .filter_map(|s| s.namespace())
            .chain(
                self.mine
                    .lock()
                    .expect("ledger lock")
                    .keys()
                    .map(|(ns, _)| ns.clone()),
            )
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn remember(&self, s: &Spend) {
        let key = (s.namespace().unwrap_or_default(), s.name_any());
        self.mine
            .lock()
            .expect("ledger lock")
            .insert(key, Some(s.clone()));
    }

    /// Deletes an intent that reached no block and never can (refused before signing or by the
    /// transaction pool): it spent nothing, so it stays out of the ledger and its sums. The
    /// refusal is reported as an Event instead.
    pub async fn discard(&self, spend: &Spend) -> Result<()> {
        let ns = spend.namespace().unwrap_or_default();
        match self
            .api(&ns)
            .delete(&spend.name_any(), &Default::default())
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
        let key = (ns, spend.name_any());
        self.mine.lock().expect("ledger lock").insert(key, None);
        Ok(())
    }

    fn api(&self, namespace: &str) -> Api<Spend> {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// Records the intent; must succeed before anything is submitted. A create that finds the
    /// name taken returns the existing intent (our earlier attempt whose answer was lost).
    pub async fn record_intent(&self, namespace: &str, spec: SpendSpec) -> Result<Spend> {
        let name = spend_name(&spec);
        let mut spend = Spend::new(&name, spec);
        spend.metadata.namespace = Some(namespace.to_string());
        spend.metadata.labels = Some(spend_labels(&spend.spec));
        let written = match self
            .api(namespace)
            .create(&PostParams::default(), &spend)
            .await
        {
            Ok(s) => s,
            Err(kube::Error::Api(e)) if e.code == 409 => self.api(namespace).get(&name).await?,
            Err(e) => return Err(e.into()),
        };
        self.remember(&written);
        Ok(written)
    }

    /// Writes the outcome of an unresolved spend, once. `Ok(false)`: it was already resolved
    /// (by an earlier attempt): nothing changed.
    pub async fn resolve(&self, spend: &Spend, status: SpendStatus) -> Result<bool> {
        let ns = spend.namespace().unwrap_or_default();
        let api = self.api(&ns);
        let current = api.get(&spend.name_any()).await?;
        if current.resolved() {
            self.remember(&current);
            return Ok(false);
        }
        let body = serde_json::json!({
            "metadata": {"resourceVersion": current.resource_version()},
            "status": status,
        });
        match api
            .patch_status(
                &spend.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&body),
            )
            .await
        {
            Ok(written) => {
                self.remember(&written);
                Ok(true)
            }
            // Someone wrote it in between: whatever they wrote stands; look at it next time.
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes resolved spends older than `retention` that no lifetime budget needs (those of a
    /// NeuronSet stay: its budget is "ever"). Returns how many were deleted.
    pub async fn prune(
        &self,
        namespace: &str,
        now: jiff::Timestamp,
        retention: jiff::SignedDuration,
    ) -> Result<usize> {
        let cutoff = now - retention;
        let old: Vec<Spend> = self
            .of_namespace(namespace)
            .into_iter()
            .filter(|s| s.resolved() && s.spec.neuron_set.is_none())
            .filter(|s| {
                s.spec
                    .at
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|t| t < cutoff)
            })
            .collect();
        for s in &old {
            match self
                .api(namespace)
                .delete(&s.name_any(), &Default::default())
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(old.len())
    }
}

fn spend_labels(spec: &SpendSpec) -> std::collections::BTreeMap<String, String> {
    let mut l = std::collections::BTreeMap::from([
        (
            labels::MANAGED_BY.to_string(),
            labels::MANAGED_BY_VALUE.to_string(),
        ),
        (labels::SUBNET.to_string(), spec.subnet.clone()),
        (labels::NEURON.to_string(), spec.neuron.clone()),
        (labels::SIGNER.to_string(), spec.signer.clone()),
        (labels::CALL.to_string(), spec.call.as_str().to_string()),
    ]);
    if let Some(set) = &spec.neuron_set {
        l.insert(labels::NEURON_SET.to_string(), set.clone());
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::SpendCall;

    #[test]
    fn intent_names_are_stable_and_distinct() {
        let spec =
            crate::decide::ledger::tests::spend("n", None, SpendCall::Register, 1, "t", None).spec;
        let a = spend_name(&spec);
        assert_eq!(a, spend_name(&spec.clone()), "same intent, same name");
        assert!(
            a.starts_with("register-") && a.len() == "register-".len() + 16,
            "{a}"
        );
        for change in [
            |s: &mut SpendSpec| s.nonce += 1,
            |s: &mut SpendSpec| s.birth_block += 1,
            |s: &mut SpendSpec| s.signer.push('x'),
            |s: &mut SpendSpec| s.call = SpendCall::AddStake,
        ] {
            let mut other = spec.clone();
            change(&mut other);
            assert_ne!(spend_name(&other), a);
        }
        let l = spend_labels(&SpendSpec {
            neuron_set: Some("fleet".into()),
            ..spec
        });
        assert_eq!(l[labels::NEURON_SET], "fleet");
        assert_eq!(l[labels::CALL], "Register");
    }
}
