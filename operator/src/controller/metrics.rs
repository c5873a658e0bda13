//! The controller's metrics (names agreed in the brief; prometheus-client adds `_total`).

pub use super::metric_labels::{NeuronLabels, RestartLabels};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    pub controller: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub controller: String,
    pub error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RollbackLabels {
    pub namespace: String,
    pub neuronset: String,
    pub reason: String,
}

type FGauge = Gauge<f64, AtomicU64>;

pub struct Metrics {
    pub reconcile_duration: Family<ControllerLabels, Histogram>,
    pub reconcile_errors: Family<ErrorLabels, Counter>,
    pub neuron_registered: Family<NeuronLabels, Gauge>,
    pub neuron_uid: Family<NeuronLabels, Gauge>,
    pub neuron_stake_rao: Family<NeuronLabels, Gauge>,
    pub neuron_incentive: Family<NeuronLabels, FGauge>,
    pub neuron_dividends: Family<NeuronLabels, FGauge>,
    pub neuron_emission_rao: Family<NeuronLabels, Gauge>,
    pub neuron_blocks_since_update: Family<NeuronLabels, Gauge>,
    /// NeuronSet canaries rolled back, by reason (CanaryRegressed, CanaryCrashLooping, ...).
    pub neuronset_rollbacks: Family<RollbackLabels, Counter>,
    /// Labels last used per Neuron (`ns/name`), so a deleted Neuron's series can be dropped.
    known: std::sync::Mutex<std::collections::HashMap<String, NeuronLabels>>,
    /// Registration, stake, axon and restart counters.
    pub lifecycle: super::spend_metrics::LifecycleMetrics,
}

fn register_all<M: prometheus_client::registry::Metric + Clone>(
    r: &mut Registry,
    metrics: &[(&str, &str, &M)],
) {
    for (name, help, metric) in metrics {
        r.register(*name, *help, (*metric).clone());
    }
}

impl Metrics {
    /// Creates the metrics and registers them under the `tensorfleet_` prefix.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self {
            reconcile_duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.005, 2.0, 12))
            }),
            reconcile_errors: Family::default(),
            neuron_registered: Family::default(),
            neuron_uid: Family::default(),
            neuron_stake_rao: Family::default(),
            neuron_incentive: Family::default(),
            neuron_dividends: Family::default(),
            neuron_emission_rao: Family::default(),
            neuron_blocks_since_update: Family::default(),
            neuronset_rollbacks: Family::default(),
            known: Default::default(),
            lifecycle: Default::default(),
        };
        let r = registry.sub_registry_with_prefix("tensorfleet");
        r.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            m.reconcile_duration.clone(),
        );
        r.register(
            "reconcile_errors",
            "Failed reconciles by error",
            m.reconcile_errors.clone(),
        );
        r.register(
            "neuronset_rollbacks",
            "NeuronSet canaries rolled back to the previous template, by reason",
            m.neuronset_rollbacks.clone(),
        );
        let int_gauges = [
            (
                "neuron_registered",
                "1 when the hotkey has a uid on the subnet",
                &m.neuron_registered,
            ),
            (
                "neuron_uid",
                "uid of the hotkey on the subnet",
                &m.neuron_uid,
            ),
            (
                "neuron_stake_rao",
                "Stake on the hotkey on the subnet, rao",
                &m.neuron_stake_rao,
            ),
            (
                "neuron_emission_rao",
                "Emission per tempo, rao",
                &m.neuron_emission_rao,
            ),
            (
                "neuron_blocks_since_update",
                "Blocks since the neuron last set weights",
                &m.neuron_blocks_since_update,
            ),
        ];
        register_all(r, &int_gauges);
        let float_gauges = [
            (
                "neuron_incentive",
                "Incentive in [0,1]",
                &m.neuron_incentive,
            ),
            (
                "neuron_dividends",
                "Dividends in [0,1]",
                &m.neuron_dividends,
            ),
        ];
        register_all(r, &float_gauges);
        let mut m = m;
        m.lifecycle = super::spend_metrics::LifecycleMetrics::register(r);
        m
    }

    pub fn error(&self, controller: &str, label: &str) {
        self.reconcile_errors
            .get_or_create(&ErrorLabels {
                controller: controller.into(),
                error: label.into(),
            })
            .inc();
    }

    pub fn rollback(&self, namespace: &str, neuronset: &str, reason: &str) {
        self.neuronset_rollbacks
            .get_or_create(&RollbackLabels {
                namespace: namespace.into(),
                neuronset: neuronset.into(),
                reason: reason.into(),
            })
            .inc();
    }

    pub fn observe(&self, controller: &str, seconds: f64) {
        self.reconcile_duration
            .get_or_create(&ControllerLabels {
                controller: controller.into(),
            })
            .observe(seconds);
    }

    /// Sets the per-Neuron gauges from its chain figures (`None`: not registered).
    pub fn set_neuron(
        &self,
        l: &NeuronLabels,
        chain: Option<&crate::api::NeuronChainStatus>,
        uid: Option<u16>,
    ) {
        self.known
            .lock()
            .expect("metrics lock")
            .insert(format!("{}/{}", l.namespace, l.neuron), l.clone());
        self.neuron_registered
            .get_or_create(l)
            .set(i64::from(uid.is_some()));
        match (chain, uid) {
            (Some(c), Some(uid)) => {
                self.neuron_uid.get_or_create(l).set(i64::from(uid));
                self.neuron_stake_rao
                    .get_or_create(l)
                    .set(c.stake_rao as i64);
                self.neuron_incentive.get_or_create(l).set(c.incentive);
                self.neuron_dividends.get_or_create(l).set(c.dividends);
                self.neuron_emission_rao
                    .get_or_create(l)
                    .set(c.emission_rao as i64);
                self.neuron_blocks_since_update
                    .get_or_create(l)
                    .set(c.blocks_since_last_update as i64);
            }
            _ => self.forget_figures(l),
        }
    }

    fn forget_figures(&self, l: &NeuronLabels) {
        self.neuron_uid.remove(l);
        self.neuron_stake_rao.remove(l);
        self.neuron_incentive.remove(l);
        self.neuron_dividends.remove(l);
        self.neuron_emission_rao.remove(l);
        self.neuron_blocks_since_update.remove(l);
    }

    /// Drops every series of a deleted Neuron.
    pub fn forget_neuron(&self, namespace: &str, name: &str) {
        let known = self
            .known
            .lock()
            .expect("metrics lock")
            .remove(&format!("{namespace}/{name}"));
        if let Some(l) = known {
            self.neuron_registered.remove(&l);
            self.lifecycle.axon_served.remove(&l);
            self.lifecycle.at_risk.remove(&l);
            self.forget_figures(&l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Role;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn neuron_series_appear_and_go() {
        let mut reg = Registry::default();
        let m = Metrics::register(&mut reg);
        let l = NeuronLabels::new("ns", "m", "sn", 21, Role::Miner);
        let chain = crate::api::NeuronChainStatus {
            stake_rao: 5,
            incentive: 0.25,
            ..Default::default()
        };
        m.set_neuron(&l, Some(&chain), Some(7));
        m.error("neuron", "api");
        m.observe("neuron", 0.01);
        m.rollback("ns", "fleet", "CanaryRegressed");
        let mut out = String::new();
        encode(&mut out, &reg).unwrap();
        for want in [
            "tensorfleet_neuron_uid{namespace=\"ns\",neuron=\"m\",subnet=\"sn\",netuid=\"21\",role=\"miner\"} 7",
            "tensorfleet_neuron_incentive{",
            "tensorfleet_reconcile_errors_total{controller=\"neuron\",error=\"api\"} 1",
            "tensorfleet_reconcile_duration_seconds_count{controller=\"neuron\"} 1",
            "tensorfleet_neuronset_rollbacks_total{namespace=\"ns\",neuronset=\"fleet\",reason=\"CanaryRegressed\"} 1",
        ] {
            assert!(out.contains(want), "{want} missing in\n{out}");
        }
        m.set_neuron(&l, None, None);
        let mut out = String::new();
        encode(&mut out, &reg).unwrap();
        assert!(!out.contains("tensorfleet_neuron_uid{"), "{out}");
        assert!(out.contains("tensorfleet_neuron_registered{"));
        m.forget_neuron("ns", "m");
        let mut out = String::new();
        encode(&mut out, &reg).unwrap();
        assert!(!out.contains("tensorfleet_neuron_registered{"), "{out}");
    }
}
