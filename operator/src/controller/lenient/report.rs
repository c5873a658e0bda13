//! Reporting an undecodable object on itself, through an untyped path (the typed client cannot
//! read it): one log line, its stored status written back with `Ready=False InvalidObject`, and a
//! Warning Event.

use super::condition::{already_reported, invalid_status, message, REASON};
use super::decode::{bounded, Undecodable};
use super::registry::{key, key_of, Registry, Verdict};
use crate::api::FIELD_MANAGER;
use k8s_openapi::api::core::v1::ObjectReference;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use kube::runtime::events::{EventType, Recorder};
use kube::{Api, Client, Resource};
use std::sync::Arc;
use std::time::Duration;

/// Waits before retrying a status write that failed for another reason than a newer version.
const WRITE_RETRIES: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(10)];

pub struct Reporter {
    resource: ApiResource,
    /// Condition types set False: `Ready`, plus what the kind's printer columns show.
    types: &'static [&'static str],
    client: Client,
    recorder: Recorder,
    registry: Arc<Registry>,
}

impl Reporter {
    pub fn new<K: Resource<DynamicType = ()>>(
        client: Client,
        recorder: Recorder,
        registry: Arc<Registry>,
        types: &'static [&'static str],
    ) -> Self {
        Self {
            resource: ApiResource::erase::<K>(&()),
            types,
            client,
            recorder,
            registry,
        }
    }

    /// An undecodable version arrived (initial list, relist or watch event).
    pub fn invalid(self: &Arc<Self>, u: Undecodable) {
        let message = message(&self.resource.kind, &u.error);
        let shown = already_reported(&u.raw, self.types, &message);
        let error = u.error.to_string();
        let (verdict, object) = self.registry.saw(u, &error, shown);
        let Verdict::Report { write } = verdict else {
            return;
        };
        tracing::warn!(
            kind = %self.resource.kind,
            object = %key_of(&object),
            resource_version = object.meta.resource_version.as_deref().unwrap_or_default(),
            error = %error,
            "cannot decode the object: it is left as it is until it is fixed"
        );
        if write {
            tokio::spawn(self.clone().publish(object, message));
        }
    }

    /// A version that decodes: if the object was undecodable, it is reconciled normally again
    /// (and its normal conditions replace the InvalidObject ones).
    pub fn valid(&self, ns: Option<&str>, name: &str) {
        if self.registry.forget(&key(ns, name)) {
            tracing::info!(kind = %self.resource.kind, object = %key(ns, name), "the object decodes again");
        }
    }

    pub fn gone(&self, ns: Option<&str>, name: &str) {
        self.registry.forget(&key(ns, name));
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    async fn publish(self: Arc<Self>, object: Arc<Undecodable>, message: String) {
        let (Some(name), Some(ns)) = (
            object.meta.name.as_deref(),
            object.meta.namespace.as_deref(),
        ) else {
            return;
        };
        if self
            .write_status(&object, name, ns, &message)
            .await
            .is_err()
        {
            return;
        }
        let regarding = ObjectReference {
            api_version: Some(self.resource.api_version.clone()),
            kind: Some(self.resource.kind.clone()),
            name: Some(name.into()),
            namespace: Some(ns.into()),
            uid: object.meta.uid.clone(),
            ..Default::default()
        };
        let note = bounded(&message, 1000);
        crate::controller::events::publish_on(
            &self.recorder,
            &regarding,
            EventType::Warning,
            REASON,
            &note,
        )
        .await;
    }

    /// Writes the condition, conditioned on the version read. `Err` when a newer version exists
    /// or the object is gone: that version is reported (or reconciled) on its own, so neither
    /// the condition nor the Event of this one is wanted any more.
    async fn write_status(
        &self,
        object: &Undecodable,
        name: &str,
        ns: &str,
        message: &str,
    ) -> Result<(), ()> {
        let api: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), ns, &self.resource);
        let now = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let mut body = serde_json::json!({
            "apiVersion": self.resource.api_version,
            "kind": self.resource.kind,
            "status": invalid_status(&object.raw, self.types, message, &now),
        });
        if let Some(rv) = &object.meta.resource_version {
            body["metadata"] = serde_json::json!({ "resourceVersion": rv });
        }
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        let mut waits = WRITE_RETRIES.iter();
        loop {
            match api.patch_status(name, &pp, &Patch::Apply(&body)).await {
                Ok(_) => return Ok(()),
                Err(kube::Error::Api(s)) if s.code == 409 || s.code == 404 => return Err(()),
                Err(e) => match waits.next() {
                    Some(wait) => tokio::time::sleep(*wait).await,
                    None => {
                        // The Event still tells the user (e.g. a status the API server refuses).
                        tracing::warn!(object = %key(Some(ns), name), error = %e,
                            "could not write the InvalidObject condition");
                        return Ok(());
                    }
                },
            }
        }
    }
}
