//! Reading manifests for `render`: files and directories of multi-document YAML, typed by kind,
//! with errors naming the file, the document and the field.

use crate::api::{Neuron, NeuronSet, Subnet, GROUP, VERSION};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Everything read, in input order.
#[derive(Default)]
pub struct Manifests {
    pub subnets: Vec<(String, Subnet)>,
    pub neurons: Vec<(String, Neuron)>,
    pub sets: Vec<(String, NeuronSet)>,
    /// Documents of other kinds (e.g. Secrets beside the CRs), skipped with a note.
    pub skipped: Vec<String>,
}

/// The files behind the given paths: a directory contributes its `*.yaml`/`*.yml` files (not
/// its subdirectories, so `invalid/` beside valid samples stays out), sorted by name.
pub fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(f.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Parses one file into `into`; returns every problem found (none: all documents were read).
pub fn load_file(path: &Path, into: &mut Manifests) -> Vec<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!("{}: {e}", path.display())],
    };
    let mut errors = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(&text).enumerate() {
        let at = format!("{} (document {})", path.display(), i + 1);
        match serde_yaml::Value::deserialize(doc) {
            Ok(serde_yaml::Value::Null) => {}
            Ok(value) => {
                if let Err(e) = load_value(&at, value, into) {
                    errors.push(e);
                }
            }
            Err(e) => errors.push(format!("{at}: {e}")),
        }
    }
    errors
}

fn load_value(at: &str, value: serde_yaml::Value, into: &mut Manifests) -> Result<(), String> {
    let field = |k: &str| {
        value
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let (api_version, kind) = (field("apiVersion"), field("kind"));
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_string();
    let ours = api_version == format!("{GROUP}/{VERSION}");
    let at = format!("{at}, {kind} {name:?}");
    if !ours {
        if api_version.starts_with(&format!("{GROUP}/")) {
            return Err(format!(
                "{at}: apiVersion: {api_version:?} is not served; use {GROUP}/{VERSION}"
            ));
        }
        into.skipped
            .push(format!("{at}: not a tensorfleet kind, skipped"));
        return Ok(());
    }
    if name.is_empty() {
        return Err(format!("{at}: metadata.name: required"));
    }
    match kind.as_str() {
        "Subnet" => into.subnets.push((at.clone(), typed(&at, &value)?)),
        "Neuron" => into.neurons.push((at.clone(), typed(&at, &value)?)),
        "NeuronSet" => into.sets.push((at.clone(), typed(&at, &value)?)),
        other => {
            return Err(format!(
                "{at}: kind: {other:?} is not Subnet, Neuron or NeuronSet"
            ))
        }
    }
    Ok(())
}

/// Typed parse through text so serde_yaml reports the field path (`spec.gpus: invalid value`).
/// Its line numbers would refer to the re-serialised text, so they are cut off.
fn typed<T: DeserializeOwned>(at: &str, value: &serde_yaml::Value) -> Result<T, String> {
    let text = serde_yaml::to_string(value).map_err(|e| format!("{at}: {e}"))?;
    serde_yaml::from_str(&text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        format!("{at}: {msg}")
    })
}
