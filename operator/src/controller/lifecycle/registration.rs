//! Registration executor: gathers the inputs of `decide::registration`, and carries out its
//! step. `Register`: direct chain reads (uid, head, signer nonce, payer balance) → the intent
//! (nonce, cost limit, mortality window) written to status → submit → the outcome recorded in
//! `status.registration`, an Event and metrics, the intent cleared. `ResolveIntent`: direct
//! chain reads decide how an earlier intent ended; nothing is submitted while it may still land.

use super::reg_submit::{register, resolve};
use super::target::{
    announce, coldkey_secret, condition_true, fresh_members, store_members, try_subnet_turn,
    Target, TURN_RETRY,
};
use super::{publish, spend, StepOutcome};
use crate::api::{types, CondSpec, NeuronPhase, NeuronStatus, RegistrationRecord};
use crate::controller::error::Result;
use crate::controller::neuronset_budget::set_budget;
use crate::decide::registration::{decide, ChainView, RegistrationInput, RegistrationStep};
use kube::runtime::events::EventType;
use kube::ResourceExt;
use std::time::Duration;

/// Mortality of a registration extrinsic, in blocks: an intent older than this can be dropped.
pub const MORTALITY: u64 = 64;
/// How soon to look again while an intent is unresolved or the chain could not be read.
pub const RETRY: Duration = Duration::from_secs(6);

pub fn blocked(reason: &str, message: impl Into<String>) -> StepOutcome {
    condition_true(types::REGISTRATION_BLOCKED, reason, message)
}

pub fn clear() -> Vec<(&'static str, Option<CondSpec>)> {
    vec![(types::REGISTRATION_BLOCKED, None)]
}

/// Runs the registration step; `status` (the Neuron's current status) is updated in place with
/// what was written, so the reconcile's final status write keeps it.
pub async fn step(t: &Target<'_>, status: &mut NeuronStatus) -> Result<StepOutcome> {
    announce_deregistration(t, status).await;
    let now = jiff::Timestamp::now();
    // A first decision from the store, without the set budget (which needs API reads and the
    // set's turn): only a `Register` is worth the locked, fresh second decision.
    let first = decide_on(t, status, &store_members(t), None, now);
    tracing::debug!(neuron = %t.neuron.name_any(), step = ?first.as_ref().ok(), "registration step");
    let outcome = match first {
        Ok(RegistrationStep::Register { .. }) => {
            // Spending is serialized per Subnet and decided again on statuses read from the API
            // server: the store may lag behind another member's spend or our own last write.
            let Some(_turn) = try_subnet_turn(&t.key) else {
                return Ok(StepOutcome::retry(TURN_RETRY));
            };
            let fresh = fresh_members(t).await?;
            let current = fresh.iter().find(|(n, _)| *n == t.neuron.name_any());
            let current = current.is_some_and(|(_, f)| {
                f.pending_registration == status.pending_registration
                    && f.registration == status.registration
            });
            if !current {
                return Ok(StepOutcome::retry(Duration::from_secs(1)));
            }
            // A NeuronSet member also takes its set's turn, held until the intent is recorded.
            let set = set_budget(&t.ctx.client, t.neuron).await?;
            let set_remaining = set.as_ref().map(|b| b.remaining_rao);
            match decide_on(t, status, &fresh, set_remaining, now) {
                Ok(RegistrationStep::Register { limit_rao }) => {
                    register_unless_failing(t, status, limit_rao, now).await?
                }
                Ok(other) => carry_out(t, status, other).await?,
                Err(o) => o,
            }
        }
        Ok(other) => carry_out(t, status, other).await?,
        Err(o) => o,
    };
    Ok(announce(t, status, outcome).await)
}

/// The decision, or the outcome when the inputs themselves are unusable.
fn decide_on(
    t: &Target<'_>,
    status: &NeuronStatus,
    members: &[(String, NeuronStatus)],
    set_remaining: Option<u64>,
    now: jiff::Timestamp,
) -> std::result::Result<RegistrationStep, StepOutcome> {
    inputs(t, status, members, set_remaining, now)
        .map(|i| decide(&i))
        .map_err(|msg| blocked("InvalidSpec", msg))
}

async fn carry_out(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    step: RegistrationStep,
) -> Result<StepOutcome> {
    Ok(match step {
        RegistrationStep::Registered { .. }
        | RegistrationStep::WaitExternal
        | RegistrationStep::WaitForChain
        | RegistrationStep::Register { .. } => StepOutcome {
            conditions: clear(),
            requeue: None,
        },
        RegistrationStep::Blocked(b) => blocked(b.reason(), b.message()),
        RegistrationStep::ResolveIntent => resolve(t, status).await?,
    })
}

/// Registers, unless the last registrations failed recently (each failure still pays a fee).
async fn register_unless_failing(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    limit_rao: u64,
    now: jiff::Timestamp,
) -> Result<StepOutcome> {
    if let Some(until) = spend::price_pause(&status.registration).filter(|u| now < *u) {
        return Ok(StepOutcome {
            requeue: Some(now.duration_until(until).unsigned_abs()),
            ..blocked(
                "BurnAboveCap",
                format!("the burn rose above the limit at the last attempt; looking again after {until}"),
            )
        });
    }
    match spend::retry_after_failures(&status.registration) {
        Some((n, until)) if now < until => Ok(StepOutcome {
            requeue: Some(now.duration_until(until).unsigned_abs()),
            ..blocked(
                "RetryBackoff",
                format!("{n} failed registration(s) in a row; next attempt after {until}"),
            )
        }),
        _ => register(t, status, limit_rao).await,
    }
}

/// A Warning Event when the snapshot no longer has the uid the status recorded.
async fn announce_deregistration(t: &Target<'_>, status: &NeuronStatus) {
    let Some(uid) = status.uid else { return };
    let Some(snap) = t.snapshot() else { return };
    if snap.neuron_by_hotkey(&t.hotkey).is_none() {
        let note = format!(
            "hotkey {} lost uid {uid} on netuid {} at block {}",
            t.hotkey, snap.netuid, snap.block
        );
        publish(t.ctx, t.neuron, EventType::Warning, "Deregistered", &note).await;
    }
}

fn inputs(
    t: &Target<'_>,
    status: &NeuronStatus,
    members: &[(String, NeuronStatus)],
    set_remaining: Option<u64>,
    now: jiff::Timestamp,
) -> std::result::Result<RegistrationInput, String> {
    let spec = &t.neuron.spec;
    let cap_rao = spend::cap_rao(
        spec.registration.max_burn_tao.as_ref(),
        &t.subnet.spec.registration.max_burn_tao,
    )?;
    // This Neuron's records from `status`; the other members' records, plus their in-flight
    // intents counted at their cost limit (they may still spend it).
    let me = t.neuron.name_any();
    let mut records: Vec<RegistrationRecord> = status.registration.clone();
    for (_, s) in members.iter().filter(|(n, _)| *n != me) {
        records.extend(s.registration.iter().cloned());
        records.extend(s.pending_registration.iter().map(|i| RegistrationRecord {
            paid_rao: i.limit_rao,
            result: "Pending".into(),
            at: Some(now.to_string()),
            ..Default::default()
        }));
    }
    let subnet_budget = spend::subnet_budget_remaining(
        t.subnet.spec.registration.budget_tao_per24h.as_ref(),
        &records,
        now,
    )?;
    let chain = t.snapshot().map(|snap| ChainView {
        uid: snap.neuron_by_hotkey(&t.hotkey).map(|n| n.uid),
        burn_rao: snap.params.burn,
        registration_allowed: snap.params.registration_allowed,
    });
    Ok(RegistrationInput {
        mode: spec.registration.mode,
        reregister: spec.registration.reregister,
        has_coldkey: coldkey_secret(t.neuron).is_some(),
        cap_rao,
        budget_remaining_rao: spend::min_budget(subnet_budget, set_remaining),
        chain,
        pending: status.pending_registration.clone(),
        was_registered: status.uid.is_some()
            || status.phase == NeuronPhase::Deregistered
            || status
                .registration
                .iter()
                .any(|r| r.result.starts_with("Success")),
    })
}
