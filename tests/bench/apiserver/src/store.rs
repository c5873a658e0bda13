//! The object store: objects by (resource, namespace, name), one global resourceVersion, and the
//! whole event log (kept for the benchmark: a watch from any resourceVersion replays from it).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::registry::Registry;

/// (index into `Registry::all`, namespace or "" when cluster-scoped, name).
pub type Key = (usize, String, String);

/// One committed change. Objects are kept serialized (the log holds every version, so at 10k
/// Neurons it must be compact): the JSON once for every watcher, and `{"metadata": ..}` of the new
/// and old versions, enough for selectors and the metadata-only form.
pub struct Event {
    pub rv: u64,
    pub res: usize,
    pub kind: &'static str,
    pub head: Value,
    pub old_head: Option<Value>,
    full: Bytes,
    meta: OnceLock<Bytes>,
}

fn head(obj: &Value) -> Value {
    json!({"metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({}))})
}

impl Event {
    /// The object's JSON, serialized once and shared by every watcher.
    pub fn object_bytes(&self, meta_only: bool) -> &Bytes {
        if meta_only {
            self.meta
                .get_or_init(|| Bytes::from(serde_json::to_vec(&partial_meta(&self.head)).unwrap()))
        } else {
            &self.full
        }
    }
}

/// The `PartialObjectMetadata` form of an object (metadata-only requests).
pub fn partial_meta(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
           "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({}))})
}

pub struct State {
    pub reg: Arc<Registry>,
    pub rv: u64,
    pub objects: BTreeMap<Key, Arc<Value>>,
    /// `events[i].rv == i + 1`: every commit takes the next resourceVersion.
    pub events: Vec<Arc<Event>>,
    /// (object key, field manager, subresource) -> last applied configuration.
    pub applied: HashMap<(Key, String, String), Value>,
    pub kubelet: bool,
    /// Apply CRD schema defaults on write (`--crd-defaults`).
    pub crd_defaults: bool,
    serial: u64,
    node_ports: u64,
    cluster_ips: u64,
    tick: watch::Sender<u64>,
}

impl State {
    pub fn new(reg: Arc<Registry>, kubelet: bool) -> Self {
        State {
            reg,
            rv: 0,
            objects: BTreeMap::new(),
            events: vec![],
            applied: HashMap::new(),
            kubelet,
            crd_defaults: false,
            serial: 0,
            node_ports: 30000,
            cluster_ips: 10,
            tick: watch::channel(0).0,
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tick.subscribe()
    }

    pub fn key(&self, res: usize, ns: Option<&str>, name: &str) -> Key {
        let ns = if self.reg.all[res].namespaced {
            ns.unwrap_or("")
        } else {
            ""
        };
        (res, ns.to_string(), name.to_string())
    }

    pub fn current(&self, res: usize, ns: Option<&str>, name: &str) -> Option<Arc<Value>> {
        self.objects.get(&self.key(res, ns, name)).cloned()
    }

    /// A fresh uid-shaped string, unique for this server.
    pub fn uid(&mut self) -> String {
        self.serial += 1;
        let s = self.serial;
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            t as u32,
            (t >> 32) as u16,
            (s >> 12) & 0xfff,
            s & 0xfff,
            s
        )
    }

    /// Five hex characters for `generateName`.
    pub fn suffix(&mut self) -> String {
        self.serial += 1;
        format!("{:05x}", (self.serial.wrapping_mul(0x9e37_79b9)) & 0xfffff)
    }

    /// Stores `obj` under the next resourceVersion and logs the event for watchers.
    pub fn commit(
        &mut self,
        res: usize,
        kind: &'static str,
        mut obj: Value,
        old: Option<Arc<Value>>,
    ) -> Arc<Value> {
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let meta = &obj["metadata"];
        let key = self.key(
            res,
            meta["namespace"].as_str(),
            meta["name"].as_str().unwrap_or(""),
        );
        let obj = Arc::new(obj);
        if kind == "DELETED" {
            self.objects.remove(&key);
        } else {
            self.objects.insert(key, obj.clone());
        }
        self.events.push(Arc::new(Event {
            rv: self.rv,
            res,
            kind,
            head: head(&obj),
            old_head: old.as_deref().map(head),
            full: Bytes::from(serde_json::to_vec(&*obj).expect("json")),
            meta: OnceLock::new(),
        }));
        self.tick.send_replace(self.rv);
        obj
    }

    /// Events after `position` (a resourceVersion).
    pub fn events_after(&self, position: u64) -> &[Arc<Event>] {
        let from = (position as usize).min(self.events.len());
        &self.events[from..]
    }

    /// Objects of one resource (one namespace, or all), in (namespace, name) order, from after
    /// `start` (a `(namespace, name)` already returned).
    pub fn range<'a>(
        &'a self,
        res: usize,
        ns: Option<&str>,
        start: Option<(String, String)>,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let ns = ns
            .filter(|_| self.reg.all[res].namespaced)
            .map(String::from);
        let from = match &start {
            Some((n, name)) => (res, n.clone(), name.clone()),
            None => (res, ns.clone().unwrap_or_default(), String::new()),
        };
        self.objects
            .range(from..)
            .skip_while(move |(k, _)| {
                start
                    .as_ref()
                    .is_some_and(|(n, name)| k.1 == *n && k.2 == *name)
            })
            .take_while(move |(k, _)| k.0 == res && ns.as_ref().is_none_or(|n| k.1 == *n))
            .map(|(_, v)| v)
    }

    /// What the apiserver fills in on a Service write (tests/e2e/defaults.py).
    pub fn defaults(&mut self, res: usize, new: &mut Value, old: Option<&Value>) {
        let r = &self.reg.all[res];
        if let Some(schema) = r.schema.as_ref().filter(|_| self.crd_defaults) {
            crate::schema::apply_defaults(schema, new);
        }
        if !(r.group.is_empty() && r.plural == "services") {
            return;
        }
        let old_spec = old.map(|o| o["spec"].clone()).unwrap_or(Value::Null);
        if !new["spec"].is_object() {
            new["spec"] = json!({});
        }
        let spec = &mut new["spec"];
        if spec["clusterIP"].as_str().is_none_or(str::is_empty) {
            if let Some(ip) = old_spec["clusterIP"].as_str().filter(|s| !s.is_empty()) {
                spec["clusterIP"] = json!(ip);
            } else {
                let n = self.cluster_ips;
                self.cluster_ips += 1;
                spec["clusterIP"] = json!(format!("10.96.{}.{}", n / 250, n % 250 + 1));
            }
            spec["clusterIPs"] = json!([spec["clusterIP"].clone()]);
        }
        if spec.get("type").is_none() {
            spec["type"] = json!("ClusterIP");
        }
        let wants = matches!(spec["type"].as_str(), Some("NodePort" | "LoadBalancer"));
        let old_ports = old_spec["ports"].as_array().cloned().unwrap_or_default();
        for port in spec["ports"].as_array_mut().into_iter().flatten() {
            if port.get("protocol").is_none() {
                port["protocol"] = json!("TCP");
            }
            if !wants {
                if let Some(m) = port.as_object_mut() {
                    m.remove("nodePort");
                }
            } else if port["nodePort"].as_i64().unwrap_or(0) == 0 {
                let kept = old_ports
                    .iter()
                    .find(|p| {
                        p["port"] == port["port"]
                            && p["protocol"].as_str().unwrap_or("TCP") == port["protocol"]
                    })
                    .and_then(|p| p["nodePort"].as_u64());
                port["nodePort"] = json!(kept.unwrap_or_else(|| {
                    self.node_ports += 1;
                    self.node_ports - 1
                }));
            }
        }
    }
}
