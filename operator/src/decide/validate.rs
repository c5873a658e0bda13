//! Spec validation beyond what the CRD schema enforces (and the same rules for `render`, which
//! has no API server): each problem names the field.

use crate::api::{NeuronSetSpec, NeuronSpec, Role, SubnetSpec, Tao};
use std::fmt;

/// One invalid field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path from the object root, e.g. `spec.stake.targetTao`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Joins errors into one message for a condition or an Event.
pub fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.0.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        }
    }

    fn tao(&mut self, value: Option<&Tao>, field: &str) {
        if let Some(Err(e)) = value.map(Tao::to_rao) {
            self.check(false, field, e.to_string());
        }
    }
}

/// Minimum `pollIntervalSeconds` (API.md).
pub const MIN_POLL_SECONDS: u32 = 2;

pub fn validate_subnet(spec: &SubnetSpec) -> Vec<FieldError> {
    let mut e = Errors::default();
    e.check(
        spec.poll_interval_seconds >= MIN_POLL_SECONDS,
        "spec.pollIntervalSeconds",
        format!(
            "must be at least {MIN_POLL_SECONDS}, got {}",
            spec.poll_interval_seconds
        ),
    );
    for (i, url) in spec.endpoints.iter().enumerate() {
        let ok = ["ws://", "wss://", "fake+http://"]
            .iter()
            .any(|p| url.starts_with(p) && url.len() > p.len());
        e.check(
            ok,
            &format!("spec.endpoints[{i}]"),
            format!("{url:?} is not a ws:// or wss:// URL"),
        );
    }
    e.tao(
        Some(&spec.registration.max_burn_tao),
        "spec.registration.maxBurnTao",
    );
    e.tao(
        spec.registration.budget_tao_per24h.as_ref(),
        "spec.registration.budgetTaoPer24h",
    );
    e.0
}

/// A DNS-1123 subdomain, as Kubernetes requires of Subnet and Secret names.
pub fn is_object_name(s: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    s.len() <= 253 && s.chars().all(ok_char) && alnum(s.chars().next()) && alnum(s.chars().last())
}

pub fn validate_neuron(spec: &NeuronSpec) -> Vec<FieldError> {
    validate_neuron_at(spec, "spec")
}

fn validate_neuron_at(spec: &NeuronSpec, at: &str) -> Vec<FieldError> {
    let mut e = Errors::default();
    let f = |name: &str| format!("{at}.{name}");
    e.check(
        !spec.subnet.trim().is_empty(),
        &f("subnet"),
        "must name a Subnet",
    );
    // Names go into request paths: "other/sn" would address a subresource, not another namespace.
    let refs = [
        ("subnet", Some(&spec.subnet)),
        ("wallet.hotkeySecret", spec.wallet.hotkey_secret.as_ref()),
        ("wallet.coldkeySecret", spec.wallet.coldkey_secret.as_ref()),
    ];
    for (field, name) in refs {
        if let Some(n) = name.filter(|n| !n.trim().is_empty()) {
            e.check(
                is_object_name(n),
                &f(field),
                format!("{n:?} is not an object name in the Neuron's namespace (lowercase letters, digits, '-' and '.')"),
            );
        }
    }
    e.check(
        !spec.image.trim().is_empty(),
        &f("image"),
        "must not be empty",
    );
    e.check(
        spec.role == Role::Validator || spec.stake.is_none(),
        &f("stake"),
        "stake is only allowed on validators",
    );
    e.tao(
        spec.registration.max_burn_tao.as_ref(),
        &f("registration.maxBurnTao"),
    );
    if let Some(stake) = &spec.stake {
        e.tao(Some(&stake.target_tao), &f("stake.targetTao"));
        e.tao(
            stake.max_add_per_day_tao.as_ref(),
            &f("stake.maxAddPerDayTao"),
        );
        if let Err(msg) = stake.slippage_percent() {
            e.check(false, &f("stake.maxSlippagePercent"), msg);
        }
    }
    e.check(spec.axon.port != 0, &f("axon.port"), "must be 1-65535");
    if let Some(p) = spec.image_pull_policy.as_deref().filter(|p| !p.is_empty()) {
        e.check(
            ["Always", "IfNotPresent", "Never"].contains(&p),
            &f("imagePullPolicy"),
            format!("{p:?} is not Always, IfNotPresent or Never"),
        );
    }
    if let Some(name) = &spec.wallet.name {
        e.check(
            !name.contains('/') && name != "." && name != "..",
            &f("wallet.name"),
            "must be a single directory name",
        );
    }
    if let Some(s) = &spec.storage {
        e.check(
            s.mount_path.starts_with('/'),
            &f("storage.mountPath"),
            "must be an absolute path",
        );
    }
    e.0
}

pub fn validate_neuron_set(spec: &NeuronSetSpec) -> Vec<FieldError> {
    let mut e = Errors::default();
    e.check(spec.replicas >= 0, "spec.replicas", "must not be negative");
    e.check(
        spec.update_strategy.max_unavailable >= 1,
        "spec.updateStrategy.maxUnavailable",
        "must be at least 1",
    );
    e.tao(
        spec.budget.as_ref().map(|b| &b.max_total_burn_tao),
        "spec.budget.maxTotalBurnTao",
    );
    if let Err(problems) = super::rollout::settings::resolve(&spec.rollout, spec.template.role) {
        for (field, message) in problems {
            e.check(false, &field, message);
        }
    }
    e.0.extend(validate_neuron_at(&spec.template, "spec.template"));
    e.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Neuron, NeuronSet, Subnet};

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn neuron_rules() {
        let base = "subnet: sn, role: miner, image: img";
        let cases = [
            (base.to_string(), vec![]),
            (
                "subnet: sn, role: miner, image: ' '".into(),
                vec!["spec.image"],
            ),
            (
                "subnet: '', role: miner, image: i".into(),
                vec!["spec.subnet"],
            ),
            (
                format!("{base}, stake: {{targetTao: '1'}}"),
                vec!["spec.stake"],
            ),
            (
                "subnet: sn, role: validator, image: i, stake: {targetTao: '1.5'}".into(),
                vec![],
            ),
            (
                "subnet: sn, role: validator, image: i, stake: {targetTao: 'ten'}".into(),
                vec!["spec.stake.targetTao"],
            ),
            (
                "subnet: sn, role: validator, image: i, stake: {targetTao: '1', maxSlippagePercent: '0.5'}".into(),
                vec![],
            ),
            (
                "subnet: sn, role: validator, image: i, stake: {targetTao: '1', maxSlippagePercent: '100'}".into(),
                vec!["spec.stake.maxSlippagePercent"],
            ),
            (
                format!("{base}, registration: {{maxBurnTao: '0.0000000001'}}"),
                vec!["spec.registration.maxBurnTao"],
            ),
            (format!("{base}, axon: {{port: 0}}"), vec!["spec.axon.port"]),
            (
                format!("{base}, imagePullPolicy: Sometimes"),
                vec!["spec.imagePullPolicy"],
            ),
            (
                format!("{base}, wallet: {{name: a/b}}"),
                vec!["spec.wallet.name"],
            ),
            (
                format!("{base}, storage: {{size: 1Gi, mountPath: data}}"),
                vec!["spec.storage.mountPath"],
            ),
            (
                "subnet: other/sn, role: miner, image: i".into(),
                vec!["spec.subnet"],
            ),
            (
                "subnet: Sn, role: miner, image: i".into(),
                vec!["spec.subnet"],
            ),
            (
                format!("{base}, wallet: {{hotkeySecret: a/b, coldkeySecret: '-c'}}"),
                vec!["spec.wallet.hotkeySecret", "spec.wallet.coldkeySecret"],
            ),
            (
                format!("{base}, wallet: {{hotkeySecret: hk.v1, coldkeySecret: cold-0}}"),
                vec![],
            ),
        ];
        for (spec, want) in cases {
            let n: Neuron = serde_yaml::from_str(&format!(
                "apiVersion: tensorfleet.io/v1alpha1\nkind: Neuron\nmetadata: {{name: n}}\nspec: {{{spec}}}\n"
            ))
            .unwrap();
            assert_eq!(fields(validate_neuron(&n.spec)), want, "{spec}");
        }
    }

    #[test]
    fn subnet_rules() {
        let cases = [
            ("netuid: 1, registration: {maxBurnTao: '1'}", vec![]),
            (
                "netuid: 1, pollIntervalSeconds: 1, registration: {maxBurnTao: '1'}",
                vec!["spec.pollIntervalSeconds"],
            ),
            (
                "netuid: 1, registration: {maxBurnTao: '1', budgetTaoPer24h: '-5'}",
                vec!["spec.registration.budgetTaoPer24h"],
            ),
            (
                "netuid: 1, registration: {maxBurnTao: 1.2.3}",
                vec!["spec.registration.maxBurnTao"],
            ),
            (
                "netuid: 1, endpoints: ['http://x', 'ws://ok'], registration: {maxBurnTao: '1'}",
                vec!["spec.endpoints[0]"],
            ),
        ];
        for (spec, want) in cases {
            let s: Subnet = serde_yaml::from_str(&format!(
                "apiVersion: tensorfleet.io/v1alpha1\nkind: Subnet\nmetadata: {{name: s}}\nspec: {{{spec}}}\n"
            ))
            .unwrap();
            assert_eq!(fields(validate_subnet(&s.spec)), want, "{spec}");
        }
    }

    #[test]
    fn neuron_set_rules_prefix_template_fields() {
        let cases = [
            ("replicas: 2", vec![]),
            ("replicas: -1", vec!["spec.replicas"]),
            (
                "replicas: 1, updateStrategy: {maxUnavailable: 0}",
                vec!["spec.updateStrategy.maxUnavailable"],
            ),
            (
                "replicas: 1, budget: {maxTotalBurnTao: x}",
                vec!["spec.budget.maxTotalBurnTao"],
            ),
            ("replicas: 1, rollout: {strategy: Canary}", vec![]),
            (
                "replicas: 1, rollout: {strategy: Canary, maxDrop: lots, metric: Dividends}",
                vec!["spec.rollout.metric", "spec.rollout.maxDrop"],
            ),
        ];
        for (spec, want) in cases {
            let s: NeuronSet = serde_yaml::from_str(&format!(
                "apiVersion: tensorfleet.io/v1alpha1\nkind: NeuronSet\nmetadata: {{name: s}}\nspec: {{{spec}, template: {{subnet: sn, role: miner, image: i}}}}\n"
            ))
            .unwrap();
            assert_eq!(fields(validate_neuron_set(&s.spec)), want, "{spec}");
        }
        let mut s: NeuronSet = serde_yaml::from_str(
            "apiVersion: tensorfleet.io/v1alpha1\nkind: NeuronSet\nmetadata: {name: s}\nspec: {template: {subnet: sn, role: miner, image: ''}}\n",
        )
        .unwrap();
        assert_eq!(
            fields(validate_neuron_set(&s.spec)),
            vec!["spec.template.image"]
        );
        s.spec.template.image = "i".into();
        assert!(validate_neuron_set(&s.spec).is_empty());
        let msg = describe(&[FieldError {
            field: "a".into(),
            message: "b".into(),
        }]);
        assert_eq!(msg, "a: b");
    }
}
