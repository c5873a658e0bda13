//! The one place Events are published: reconciles and the executor alike. Notes are cut to
//! 1000 characters; a failure to publish is logged, never fatal.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Client, Resource};

/// Who reports our Events: the controller, and the pod it runs in when known.
pub fn reporter() -> Reporter {
    Reporter {
        controller: "tensorfleet".into(),
        instance: std::env::var("POD_NAME").ok(),
    }
}

/// Publishes an Event on `obj`.
pub async fn publish_on(
    recorder: &Recorder,
    obj: &ObjectReference,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    let ev = Event {
        type_,
        reason: reason.into(),
        note: Some(note.chars().take(1000).collect()),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = recorder.publish(&ev, obj).await {
        tracing::warn!(error = %e, reason, "could not publish Event");
    }
}

/// Publishes an Event on a typed object.
pub async fn publish<K: Resource<DynamicType = ()>>(
    recorder: &Recorder,
    obj: &K,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    publish_on(recorder, &obj.object_ref(&()), type_, reason, note).await
}

/// Publishes an Event on `obj` as an occurrence of its own. A `Recorder` folds every Event with
/// the same object, type, reason and action within 6 min into one series that keeps the FIRST
/// note (kube-runtime 5 leaves the note out of its key), so a second, different change (say
/// `immunityPeriod` right after `tempo`) would only bump a count on the first's Event. A fresh
/// recorder has nothing to fold into.
pub async fn publish_distinct<K: Resource<DynamicType = ()>>(
    client: &Client,
    obj: &K,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    let recorder = Recorder::new(client.clone(), reporter());
    publish(&recorder, obj, type_, reason, note).await
}

/// A Neuron's reference from its namespace, name and uid (the executor has no Neuron object).
pub fn neuron_ref(namespace: &str, name: &str, uid: Option<&str>) -> ObjectReference {
    use crate::api::Neuron;
    ObjectReference {
        api_version: Some(Neuron::api_version(&()).to_string()),
        kind: Some(Neuron::kind(&()).to_string()),
        name: Some(name.to_string()),
        namespace: Some(namespace.to_string()),
        uid: uid.map(str::to_string),
        ..Default::default()
    }
}
