//! Counters of what the operator does on chain and to pods: registrations and their burn, axon
//! served, operator restarts (names agreed in the brief).

use super::metric_labels::{NeuronLabels, OutcomeLabels, RestartLabels, SpendLabels};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Default)]
pub struct LifecycleMetrics {
    /// 1 while the Neuron's AxonServed condition is True.
    pub axon_served: Family<NeuronLabels, Gauge>,
    /// 1 while the Neuron's AtRisk condition is True (past immunity, among the lowest).
    pub at_risk: Family<NeuronLabels, Gauge>,
    pub spent_rao: Family<SpendLabels, Counter>,
    pub registrations: Family<OutcomeLabels, Counter>,
    pub operator_restarts: Family<RestartLabels, Counter>,
}

impl LifecycleMetrics {
    /// Registers under `r`, which already carries the `tensorfleet` prefix.
    pub fn register(r: &mut Registry) -> Self {
        let m = Self::default();
        r.register(
            "registration_spent_rao",
            "TAO burned by registrations, rao",
            m.spent_rao.clone(),
        );
        r.register(
            "registrations",
            "Registration attempts by outcome",
            m.registrations.clone(),
        );
        r.register(
            "neuron_axon_served",
            "1 when the hotkey's axon on chain is the discovered address",
            m.axon_served.clone(),
        );
        r.register(
            "neuron_at_risk",
            "1 when the uid is past immunity and among the lowest emitters of a full subnet",
            m.at_risk.clone(),
        );
        r.register(
            "operator_restarts",
            "Pods restarted by the operator, by reason",
            m.operator_restarts.clone(),
        );
        m
    }

    /// One resolved registration: its outcome, and its burn if any.
    pub fn registration(&self, namespace: &str, subnet: &str, outcome: &str, paid_rao: u64) {
        self.registrations
            .get_or_create(&OutcomeLabels {
                namespace: namespace.into(),
                subnet: subnet.into(),
                outcome: outcome.into(),
            })
            .inc();
        self.spent_rao
            .get_or_create(&SpendLabels {
                namespace: namespace.into(),
                subnet: subnet.into(),
            })
            .inc_by(paid_rao);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn names_match_the_brief() {
        let mut reg = Registry::default();
        let m = LifecycleMetrics::register(reg.sub_registry_with_prefix("tensorfleet"));
        m.registration("ns", "sn", "Success", 480);
        m.registration("ns", "sn", "Expired", 0);
        let mut out = String::new();
        encode(&mut out, &reg).unwrap();
        for want in [
            "tensorfleet_registration_spent_rao_total{namespace=\"ns\",subnet=\"sn\"} 480",
            "tensorfleet_registrations_total{namespace=\"ns\",subnet=\"sn\",outcome=\"Success\"} 1",
            "tensorfleet_registrations_total{namespace=\"ns\",subnet=\"sn\",outcome=\"Expired\"} 1",
        ] {
            assert!(out.contains(want), "{want} missing in\n{out}");
        }
    }
}
