//! The Neuron's status from the plan, the snapshot and the ledger: nothing in it is carried over
//! from an earlier write except what only status remembers (the last known uid while the chain
//! is unreachable, the restart history) and conditions of types the plan does not own.

use super::observe::Observed;
use crate::api::{
    Neuron, NeuronStatus, OperatorRestarts, RegistrationIntent, SpendCall, StakeIntent, StakeKind,
};
use crate::controller::status::{chain_status, neuron_conditions};
use crate::decide::ledger;
use crate::decide::neuron_plan::{NeuronPlan, PlanInput};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

pub fn neuron_status(
    neuron: &Neuron,
    obs: &Observed,
    input: &PlanInput,
    plan: &NeuronPlan,
    prev: &NeuronStatus,
) -> NeuronStatus {
    let now = input.now;
    let name = neuron.name_any();
    let info = obs.info();
    let snap = obs.snapshot();
    let registered = plan.registered;
    // coldkeypub: the coldkey Secret's payer, else the hotkey's owner on chain.
    let payer = obs.payer();
    let own = match (obs.hotkey_id(), payer, snap) {
        (Some(h), Some(c), Some(s)) => s.own_stake(&h, &c).unwrap_or(0),
        _ => 0,
    };
    let in_flight = ledger::in_flight(&obs.spends, &name);
    let mut pod = input.pod.clone();
    if let (Some(p), Some(v)) = (pod.as_mut(), input.health.gpu.as_ref()) {
        (p.gpu_model, p.gpu_count) = v.pod_gpu();
    }
    let conditions = neuron_conditions(
        &prev.conditions,
        &plan.conditions,
        neuron.metadata.generation,
        &Time(now),
    );
    NeuronStatus {
        observed_generation: neuron.metadata.generation,
        phase: plan.phase,
        hotkey: obs.hotkey.as_ref().map(|h| h.ss58()),
        coldkey: payer.map(|p| p.ss58()),
        uid: info.map(|i| i.uid).or(prev.uid.filter(|_| registered)),
        registered_at_block: info
            .map(|i| i.registered_at_block)
            .or(prev.registered_at_block.filter(|_| registered)),
        immune_until_block: info
            .zip(snap)
            .map(|(i, s)| i.registered_at_block + u64::from(s.params.immunity_period)),
        registration: ledger::registration_records(&obs.spends, &name),
        pending_registration: in_flight
            .iter()
            .find(|s| s.spec.call == SpendCall::Register)
            .map(|s| RegistrationIntent {
                hotkey: s.spec.hotkey.clone(),
                limit_rao: s.spec.limit_rao,
                nonce: s.spec.nonce,
                mortal_until_block: s.spec.mortal_until_block,
                tx_hash: None,
                at: s.spec.at.clone(),
                spend: Some(s.name_any()),
            }),
        stake_operations: ledger::stake_records(&obs.spends, &name),
        pending_stake: in_flight
            .iter()
            .find(|s| s.spec.call != SpendCall::Register)
            .map(|s| StakeIntent {
                kind: match s.spec.call {
                    SpendCall::RemoveStake => StakeKind::Remove,
                    _ => StakeKind::Add,
                },
                amount_rao: s.spec.amount_rao,
                nonce: s.spec.nonce,
                mortal_until_block: s.spec.mortal_until_block,
                tx_hash: None,
                at: s.spec.at.clone(),
                spend: Some(s.name_any()),
            }),
        chain: match (info, snap) {
            (Some(i), Some(s)) => Some(chain_status(i, s.block, own, s.pool.as_ref())),
            _ if registered => prev.chain.clone(),
            _ => None,
        },
        pod,
        operator_restarts: restarts(prev, plan, now),
        conditions,
    }
}

/// The restart history, with the plan's restart recorded (before the pod is deleted: a crash in
/// between can only under-restart, never loop).
fn restarts(prev: &NeuronStatus, plan: &NeuronPlan, now: Timestamp) -> Option<OperatorRestarts> {
    let Some(r) = &plan.restart else {
        return prev.operator_restarts.clone();
    };
    let mut recent: Vec<String> = super::health::recent_restarts(prev, now)
        .iter()
        .map(|t| t.to_string())
        .collect();
    recent.push(now.to_string());
    Some(OperatorRestarts {
        count: prev.operator_restarts.as_ref().map_or(0, |r| r.count) + 1,
        last_reason: Some(r.reason.as_str().into()),
        last_at: Some(now.to_string()),
        recent,
    })
}
