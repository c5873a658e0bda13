//! `tensorfleet render`: offline (no cluster, no chain), prints as multi-document YAML every
//! child object the operator would apply for the given Subnets, Neurons and NeuronSets, as if
//! each hotkey were registered. Wallet Secrets are printed without data (keys are not known).

mod load;

use crate::api::{Neuron, Subnet};
use crate::children::{self, member_neurons, ExternalAxon};
use crate::decide::{describe, validate_neuron, validate_neuron_set, validate_subnet};
use kube::ResourceExt;
use load::Manifests;
use serde::Serialize;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// Manifest files or directories (their *.yaml / *.yml files) holding Subnets, Neurons and
    /// NeuronSets. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: RenderArgs) -> anyhow::Result<()> {
    print!("{}", render(&args.files)?);
    Ok(())
}

/// The rendered YAML stream, or one error listing every problem (file, document, field).
pub fn render(paths: &[PathBuf]) -> anyhow::Result<String> {
    let mut m = Manifests::default();
    let mut errors = Vec::new();
    for file in load::expand(paths)? {
        errors.extend(load::load_file(&file, &mut m));
    }
    for note in &m.skipped {
        tracing::info!("{note}");
    }
    let mut docs = Vec::new();
    for (at, s) in &m.subnets {
        let e = validate_subnet(&s.spec);
        if !e.is_empty() {
            errors.push(format!("{at}: {}", describe(&e)));
        }
    }
    let mut neurons: Vec<(String, Neuron)> = m.neurons.clone();
    for (at, set) in &m.sets {
        let e = validate_neuron_set(&set.spec);
        if !e.is_empty() {
            errors.push(format!("{at}: {}", describe(&e)));
            continue;
        }
        for member in member_neurons(set) {
            docs.push(to_yaml(&member)?);
            neurons.push((format!("{at} member {}", member.name_any()), member));
        }
    }
    for (at, n) in &neurons {
        let e = validate_neuron(&n.spec);
        if !e.is_empty() {
            errors.push(format!("{at}: {}", describe(&e)));
            continue;
        }
        let Some(subnet) = find_subnet(&m.subnets, n) else {
            errors.push(format!(
                "{at}: spec.subnet: Subnet {:?} is not among the given manifests",
                n.spec.subnet
            ));
            continue;
        };
        let replicas = i32::from(!n.spec.suspend);
        let children =
            children::neuron_children(n, subnet, None, replicas, ExternalAxon::default(), false);
        docs.push(to_yaml(&children.wallet)?);
        if let Some(svc) = &children.service {
            docs.push(to_yaml(svc)?);
        }
        docs.push(to_yaml(&children.statefulset)?);
    }
    if !errors.is_empty() {
        anyhow::bail!("invalid input:\n  {}", errors.join("\n  "));
    }
    Ok(docs.join("---\n"))
}

fn find_subnet<'a>(subnets: &'a [(String, Subnet)], n: &Neuron) -> Option<&'a Subnet> {
    subnets
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.name_any() == n.spec.subnet && s.namespace() == n.namespace())
}

/// YAML of a typed object with its apiVersion/kind (k8s-openapi types serialize them).
fn to_yaml<T: Serialize>(obj: &T) -> anyhow::Result<String> {
    Ok(serde_yaml::to_string(obj)?)
}
