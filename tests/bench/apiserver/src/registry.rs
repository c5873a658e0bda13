//! The resources served (builtins the operator touches, CRDs from `--crds`) and the discovery
//! documents, as tests/e2e/resources.py.

use std::path::Path;

use anyhow::Context;
use serde_json::{json, Value};

const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const SUB_VERBS: [&str; 3] = ["get", "patch", "update"];

#[derive(Debug, Clone)]
pub struct Resource {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub kind: String,
    pub namespaced: bool,
    pub subresources: Vec<String>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// Scale subresource paths (dotted, no leading dot).
    pub spec_replicas: String,
    pub status_replicas: String,
    pub selector_path: Option<String>,
    /// A CRD version's openAPIV3Schema (for `--crd-defaults`).
    pub schema: Option<std::sync::Arc<Value>>,
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn has_sub(&self, sub: &str) -> bool {
        self.subresources.iter().any(|s| s == sub)
    }

    fn builtin(group: &str, plural: &str, kind: &str, namespaced: bool, subs: &[&str]) -> Self {
        Resource {
            group: group.into(),
            version: "v1".into(),
            plural: plural.into(),
            kind: kind.into(),
            namespaced,
            subresources: subs.iter().map(|s| s.to_string()).collect(),
            short_names: vec![],
            categories: vec![],
            spec_replicas: "spec.replicas".into(),
            status_replicas: "status.replicas".into(),
            selector_path: None,
            schema: None,
        }
    }
}

fn builtins() -> Vec<Resource> {
    let st: &[&str] = &["status"];
    let scaled: &[&str] = &["scale", "status"];
    vec![
        Resource::builtin("", "pods", "Pod", true, st),
        Resource::builtin("", "services", "Service", true, st),
        Resource::builtin("", "secrets", "Secret", true, &[]),
        Resource::builtin("", "configmaps", "ConfigMap", true, &[]),
        Resource::builtin("", "events", "Event", true, &[]),
        Resource::builtin("", "nodes", "Node", false, st),
        Resource::builtin("", "namespaces", "Namespace", false, st),
        Resource::builtin(
            "",
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            true,
            st,
        ),
        Resource::builtin("", "serviceaccounts", "ServiceAccount", true, &[]),
        Resource::builtin("apps", "statefulsets", "StatefulSet", true, scaled),
        Resource::builtin("apps", "deployments", "Deployment", true, scaled),
        Resource::builtin("coordination.k8s.io", "leases", "Lease", true, &[]),
        Resource::builtin("events.k8s.io", "events", "Event", true, &[]),
        Resource::builtin(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
            st,
        ),
    ]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn path_of(scale: &Value, key: &str, default: &str) -> String {
    scale[key]
        .as_str()
        .unwrap_or(default)
        .trim_start_matches('.')
        .to_string()
}

/// Resources served by one CRD object (one per served version).
fn crd_resources(crd: &Value) -> Vec<Resource> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let mut out = vec![];
    for ver in spec["versions"].as_array().into_iter().flatten() {
        if ver["served"] == Value::Bool(false) {
            continue;
        }
        let subs = ver["subresources"].as_object();
        let mut subresources: Vec<String> = subs
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        subresources.sort();
        let scale = &ver["subresources"]["scale"];
        let selector = path_of(scale, "labelSelectorPath", "");
        out.push(Resource {
            group: spec["group"].as_str().unwrap_or_default().into(),
            version: ver["name"].as_str().unwrap_or_default().into(),
            plural: names["plural"].as_str().unwrap_or_default().into(),
            kind: names["kind"].as_str().unwrap_or_default().into(),
            namespaced: spec["scope"] == "Namespaced",
            subresources,
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            spec_replicas: path_of(scale, "specReplicasPath", "spec.replicas"),
            status_replicas: path_of(scale, "statusReplicasPath", "status.replicas"),
            selector_path: (!selector.is_empty()).then_some(selector),
            schema: ver["schema"]
                .get("openAPIV3Schema")
                .cloned()
                .map(std::sync::Arc::new),
        });
    }
    out
}

/// The CRD objects in `dir/*.yaml` (sorted by file name).
pub fn load_crds(dir: &Path) -> anyhow::Result<Vec<Value>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    let mut crds = vec![];
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v: Value = serde::Deserialize::deserialize(doc)
                .with_context(|| format!("parsing {}", path.display()))?;
            if v["kind"] == "CustomResourceDefinition" {
                crds.push(v);
            }
        }
    }
    Ok(crds)
}

pub struct Registry {
    pub all: Vec<Resource>,
}

impl Registry {
    pub fn new(crds: &[Value]) -> Self {
        let mut all = builtins();
        all.extend(crds.iter().flat_map(crd_resources));
        Registry { all }
    }

    /// Index of the resource in `all`.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<usize> {
        self.all
            .iter()
            .position(|r| r.group == group && r.version == version && r.plural == plural)
    }

    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<usize> {
        self.all
            .iter()
            .position(|r| r.api_version() == api_version && r.kind == kind)
    }

    pub fn api_versions(server: &str) -> Value {
        json!({"kind": "APIVersions", "versions": ["v1"],
               "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}]})
    }

    fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = vec![];
        for r in self.all.iter().filter(|r| !r.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, vs)) if vs.contains(&r.version) => {}
                Some((_, vs)) => vs.push(r.version.clone()),
                None => groups.push((r.group.clone(), vec![r.version.clone()])),
            }
        }
        groups
    }

    pub fn api_group(&self, group: &str) -> Option<Value> {
        let (name, versions) = self.groups().into_iter().find(|(g, _)| g == group)?;
        let gvs: Vec<Value> = versions
            .iter()
            .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
            .collect();
        Some(json!({"kind": "APIGroup", "apiVersion": "v1", "name": name,
                    "preferredVersion": gvs[0].clone(), "versions": gvs}))
    }

    pub fn api_group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups()
            .iter()
            .filter_map(|(g, _)| self.api_group(g))
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    pub fn api_resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let served: Vec<&Resource> = self
            .all
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .collect();
        if served.is_empty() {
            return None;
        }
        let mut entries = vec![];
        for r in served {
            let mut e = json!({"name": r.plural, "singularName": r.kind.to_lowercase(),
                               "namespaced": r.namespaced, "kind": r.kind, "verbs": VERBS});
            if !r.short_names.is_empty() {
                e["shortNames"] = json!(r.short_names);
            }
            if !r.categories.is_empty() {
                e["categories"] = json!(r.categories);
            }
            entries.push(e);
            for sub in &r.subresources {
                let mut e = json!({"name": format!("{}/{sub}", r.plural), "singularName": "",
                                   "namespaced": r.namespaced, "kind": r.kind, "verbs": SUB_VERBS});
                if sub == "scale" {
                    e["kind"] = json!("Scale");
                    e["group"] = json!("autoscaling");
                    e["version"] = json!("v1");
                }
                entries.push(e);
            }
        }
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        Some(
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                    "resources": entries}),
        )
    }
}
