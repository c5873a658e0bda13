//! Registration executor: gathers the inputs of `decide::registration`, and carries out its
//! step. `Register`: direct chain reads (uid, head, signer nonce, payer balance) → the intent
//! (nonce, cost limit, mortality window) written to status → submit → the outcome recorded in
//! `status.registration`, an Event and metrics, the intent cleared. `ResolveIntent`: direct
//! chain reads decide how an earlier intent ended; nothing is submitted while it may still land.

use super::{failpoint, publish, spend, write_status, StepOutcome};
use crate::api::{
    types, CondSpec, Neuron, NeuronPhase, NeuronStatus, RegistrationIntent, RegistrationRecord,
    Subnet,
};
use crate::chain::cache::SubnetChainState;
use crate::chain::{AccountId, Chain, ChainError, RegisterRequest, Signer, SubnetKey, TxParams};
use crate::controller::context::Context;
use crate::controller::error::Result;
use crate::decide::registration::{
    decide, resolve_intent, ChainView, IntentProbe, IntentResolution, RegistrationInput,
    RegistrationStep,
};
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Mortality of a registration extrinsic, in blocks: an intent older than this can be dropped.
pub const MORTALITY: u64 = 64;
/// How soon to look again while an intent is unresolved or the chain could not be read.
const RETRY: Duration = Duration::from_secs(6);

/// One Neuron's registration, as seen by the reconcile.
pub struct Target<'a> {
    pub ctx: &'a Context,
    pub neuron: &'a Neuron,
    pub subnet: &'a Subnet,
    pub key: SubnetKey,
    pub hotkey: AccountId,
    pub chain: Option<&'a SubnetChainState>,
}

fn blocked(reason: &str, message: impl Into<String>) -> StepOutcome {
    StepOutcome {
        conditions: vec![(
            types::REGISTRATION_BLOCKED,
            Some(CondSpec::new(
                types::REGISTRATION_BLOCKED,
                true,
                reason,
                message,
            )),
        )],
        requeue: None,
    }
}

fn clear() -> Vec<(&'static str, Option<CondSpec>)> {
    vec![(types::REGISTRATION_BLOCKED, None)]
}

/// Runs the registration step; `status` (the Neuron's current status) is updated in place with
/// what was written, so the reconcile's final status write keeps it.
pub async fn step(t: &Target<'_>, status: &mut NeuronStatus) -> Result<StepOutcome> {
    announce_deregistration(t, status).await;
    let now = jiff::Timestamp::now();
    let first = decide_on(t, status, &store_members(t), now);
    tracing::debug!(neuron = %t.neuron.name_any(), step = ?first.as_ref().ok(), "registration step");
    let outcome = match first {
        Ok(RegistrationStep::Register { .. }) => {
            // Spending is serialized per Subnet and decided again on statuses read from the API
            // server: the store may lag behind another member's spend or our own last write.
            let lock = subnet_lock(&t.key);
            let _serial = lock.lock().await;
            let fresh = fresh_members(t).await?;
            let current = fresh.iter().find(|(n, _)| *n == t.neuron.name_any());
            let current = current.is_some_and(|(_, f)| {
                f.pending_registration == status.pending_registration
                    && f.registration == status.registration
            });
            if !current {
                return Ok(StepOutcome::retry(Duration::from_secs(1)));
            }
            match decide_on(t, status, &fresh, now) {
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

/// One lock per Subnet for the decide-and-spend section (budgets are per Subnet).
fn subnet_lock(key: &SubnetKey) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = std::sync::Mutex<HashMap<SubnetKey, Arc<tokio::sync::Mutex<()>>>>;
    static LOCKS: std::sync::LazyLock<Locks> = std::sync::LazyLock::new(Default::default);
    LOCKS
        .lock()
        .expect("subnet locks")
        .entry(key.clone())
        .or_default()
        .clone()
}

/// (name, status) of the Subnet's Neurons, from the reflector store.
fn store_members(t: &Target<'_>) -> Vec<(String, NeuronStatus)> {
    members_of(t, t.ctx.neurons.state().iter().map(|n| n.as_ref()))
}

/// The same, read from the API server.
async fn fresh_members(t: &Target<'_>) -> Result<Vec<(String, NeuronStatus)>> {
    let api: Api<Neuron> = Api::namespaced(t.ctx.client.clone(), &t.key.namespace);
    let list = api.list(&Default::default()).await?;
    Ok(members_of(t, list.items.iter()))
}

fn members_of<'a>(
    t: &Target<'_>,
    neurons: impl Iterator<Item = &'a Neuron>,
) -> Vec<(String, NeuronStatus)> {
    neurons
        .filter(|n| {
            n.namespace().as_deref() == Some(t.key.namespace.as_str())
                && n.spec.subnet == t.key.name
        })
        .map(|n| (n.name_any(), n.status.clone().unwrap_or_default()))
        .collect()
}

/// The decision, or the outcome when the inputs themselves are unusable.
fn decide_on(
    t: &Target<'_>,
    status: &NeuronStatus,
    members: &[(String, NeuronStatus)],
    now: jiff::Timestamp,
) -> std::result::Result<RegistrationStep, StepOutcome> {
    inputs(t, status, members, now)
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
    let Some(snap) = t
        .chain
        .filter(|c| c.reachable && !c.subnet_missing)
        .and_then(|c| c.snapshot.as_ref())
    else {
        return;
    };
    if snap.neuron_by_hotkey(&t.hotkey).is_none() {
        let note = format!(
            "hotkey {} lost uid {uid} on netuid {} at block {}",
            t.hotkey, snap.netuid, snap.block
        );
        publish(t.ctx, t.neuron, EventType::Warning, "Deregistered", &note).await;
    }
}

/// A Warning Event when the Neuron newly becomes blocked (or for another reason).
async fn announce(t: &Target<'_>, status: &NeuronStatus, outcome: StepOutcome) -> StepOutcome {
    for (type_, spec) in &outcome.conditions {
        let Some(spec) = spec.as_ref().filter(|s| s.status) else {
            continue;
        };
        let seen = status
            .conditions
            .iter()
            .any(|c| c.type_ == *type_ && c.status == "True" && c.reason == spec.reason);
        if !seen {
            publish(
                t.ctx,
                t.neuron,
                EventType::Warning,
                &spec.reason,
                &spec.message,
            )
            .await;
        }
    }
    outcome
}

fn inputs(
    t: &Target<'_>,
    status: &NeuronStatus,
    members: &[(String, NeuronStatus)],
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
    let chain = t.chain.and_then(|c| {
        let snap = c
            .snapshot
            .as_ref()
            .filter(|_| c.reachable && !c.subnet_missing)?;
        Some(ChainView {
            uid: snap.neuron_by_hotkey(&t.hotkey).map(|n| n.uid),
            burn_rao: snap.params.burn,
            registration_allowed: snap.params.registration_allowed,
        })
    });
    Ok(RegistrationInput {
        mode: spec.registration.mode,
        reregister: spec.registration.reregister,
        has_coldkey: coldkey_secret(t.neuron).is_some(),
        cap_rao,
        budget_remaining_rao: spend::min_budget(subnet_budget, budget_remaining_for(t.neuron)),
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

/// The NeuronSet's remaining lifetime budget for this member (None: not in a set, or no budget).
/// Hook for the NeuronSet controller, which provides the pure computation.
pub fn budget_remaining_for(_neuron: &Neuron) -> Option<u64> {
    None
}

fn coldkey_secret(neuron: &Neuron) -> Option<&str> {
    neuron
        .spec
        .wallet
        .coldkey_secret
        .as_deref()
        .filter(|s| !s.is_empty())
}

/// Loads the signer from the coldkey Secret. The error names the Secret and key only.
async fn load_signer(t: &Target<'_>) -> Result<std::result::Result<Signer, String>> {
    let Some(name) = coldkey_secret(t.neuron) else {
        return Ok(Err("wallet.coldkeySecret is not set".into()));
    };
    let secrets: Api<Secret> = Api::namespaced(t.ctx.client.clone(), &t.key.namespace);
    let Some(secret) = secrets.get_opt(name).await? else {
        return Ok(Err(format!("coldkey Secret {name:?} does not exist")));
    };
    let data = crate::controller::wallet::secret_data(&secret);
    Ok(crate::keys::parse_coldkey_secret(name, &data)
        .map(|m| m.signer.into())
        .map_err(|e| e.to_string()))
}

/// The Subnet poller's connection (money steps never open their own).
fn client(t: &Target<'_>) -> Option<Arc<dyn Chain>> {
    t.ctx.pollers.client(&t.key)
}

/// The reconcile may run on a cached object older than our own last write: re-read the Neuron
/// and act only if its registration fields are what we decided on.
async fn status_is_current(t: &Target<'_>, status: &NeuronStatus) -> Result<bool> {
    let api: Api<Neuron> = Api::namespaced(t.ctx.client.clone(), &t.key.namespace);
    let fresh = api
        .get(&t.neuron.name_any())
        .await?
        .status
        .unwrap_or_default();
    Ok(fresh.pending_registration == status.pending_registration
        && fresh.registration == status.registration)
}

async fn register(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    limit_rao: u64,
) -> Result<StepOutcome> {
    let Some(chain) = client(t) else {
        return Ok(StepOutcome::retry(RETRY));
    };
    let signer = match load_signer(t).await? {
        Ok(s) => s,
        Err(msg) => return Ok(blocked("ColdkeyUnusable", msg)),
    };
    let netuid = t.subnet.spec.netuid;
    let reads = async {
        let uid = chain.uid_of(netuid, &t.hotkey).await?;
        let head = chain.head().await?;
        let nonce = chain.account_nonce(&signer.signer_account()).await?;
        let free = chain.free_balance(&signer.payer()).await?;
        Ok::<_, ChainError>((uid, head, nonce, free))
    };
    let (uid, head, nonce, free) = match reads.await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(neuron = %t.neuron.name_any(), error = %e, "registration: chain read failed");
            return Ok(StepOutcome::retry(RETRY));
        }
    };
    if uid.is_some() {
        // Registered already; the poller's snapshot has not caught up.
        return Ok(StepOutcome {
            conditions: clear(),
            requeue: Some(RETRY),
        });
    }
    let burn = t
        .chain
        .and_then(|c| c.snapshot.as_ref())
        .map_or(limit_rao, |s| s.params.burn);
    if free < burn {
        return Ok(blocked(
            "InsufficientBalance",
            format!(
                "coldkey {} has {} TAO, the burn is {} TAO",
                signer.payer(),
                crate::api::format_tao(free),
                crate::api::format_tao(burn)
            ),
        ));
    }
    let tx = TxParams {
        nonce,
        birth_block: head,
        period: MORTALITY,
    };
    let intent = RegistrationIntent {
        hotkey: t.hotkey.ss58(),
        limit_rao,
        nonce,
        mortal_until_block: tx.mortal_until(),
        tx_hash: None,
        at: jiff::Timestamp::now().to_string(),
    };
    status.pending_registration = Some(intent.clone());
    status.phase = NeuronPhase::Registering;
    // Must be durable before anything is sent: an error here ends the step with no submission.
    write_status(t.ctx, t.neuron, status).await?;
    tracing::info!(neuron = %t.neuron.name_any(), nonce, limit_rao, mortal_until = intent.mortal_until_block, "registration intent recorded; submitting");
    failpoint::hit("registration:before_submit");
    let req = RegisterRequest {
        netuid,
        hotkey: t.hotkey,
        limit_rao,
        signer: &signer,
        tx,
    };
    let result = failpoint::submit("registration:after_submit", chain.register(&req)).await;
    match result {
        Ok(outcome) => {
            failpoint::hit("registration:after_inclusion");
            let record = RegistrationRecord {
                block: outcome.block,
                tx_hash: Some(outcome.tx_hash.clone()),
                paid_rao: outcome.burned_rao,
                result: outcome.result.label().to_string(),
                hotkey: Some(t.hotkey.ss58()),
                at: Some(jiff::Timestamp::now().to_string()),
            };
            finish(t, status, record).await
        }
        Err(e) if not_included(&e) => {
            status.pending_registration = None;
            write_status(t.ctx, t.neuron, status).await?;
            let note = format!("registration not submitted: {e}");
            publish(
                t.ctx,
                t.neuron,
                EventType::Warning,
                "RegistrationRejected",
                &note,
            )
            .await;
            t.ctx.metrics.lifecycle.registration(
                &t.key.namespace,
                &t.key.name,
                e.metric_label(),
                0,
            );
            Ok(match e {
                ChainError::BurnAboveLimit { burn, limit } => blocked(
                    "BurnAboveCap",
                    format!(
                        "burn {} TAO is above the limit {} TAO; waiting for it to decay",
                        crate::api::format_tao(burn),
                        crate::api::format_tao(limit)
                    ),
                ),
                _ => StepOutcome::retry(RETRY),
            })
        }
        Err(e) => {
            // Maybe included: the intent stays, and the next reconcile resolves it from the chain.
            let note = format!(
                "registration outcome unknown, checking the chain before anything else: {e}"
            );
            publish(
                t.ctx,
                t.neuron,
                EventType::Warning,
                "RegistrationOutcomeUnknown",
                &note,
            )
            .await;
            Ok(StepOutcome::retry(RETRY))
        }
    }
}

/// Errors that prove nothing reached a block (refused before signing or by the pool).
fn not_included(e: &ChainError) -> bool {
    matches!(
        e,
        ChainError::Rejected(_)
            | ChainError::BurnAboveLimit { .. }
            | ChainError::Unsupported(_)
            | ChainError::SubnetNotFound(_)
    )
}

/// Appends the record, clears the intent, writes status, and reports the spend.
async fn finish(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    record: RegistrationRecord,
) -> Result<StepOutcome> {
    status.registration.push(record.clone());
    status.pending_registration = None;
    write_status(t.ctx, t.neuron, status).await?;
    t.ctx.metrics.lifecycle.registration(
        &t.key.namespace,
        &t.key.name,
        &record.result,
        record.paid_rao,
    );
    let (type_, reason) = if record.result.starts_with("Success") {
        (EventType::Normal, "Registered")
    } else {
        (EventType::Warning, "RegistrationFailed")
    };
    let note = format!(
        "registration {} at block {}: paid {} TAO ({}){}",
        record.result,
        record.block,
        crate::api::format_tao(record.paid_rao),
        record.paid_rao,
        record
            .tx_hash
            .as_deref()
            .map(|h| format!(", tx {h}"))
            .unwrap_or_default()
    );
    tracing::info!(neuron = %t.neuron.name_any(), result = %record.result, paid_rao = record.paid_rao, block = record.block, "registration recorded");
    publish(t.ctx, t.neuron, type_, reason, &note).await;
    Ok(StepOutcome {
        conditions: clear(),
        requeue: Some(Duration::from_secs(1)),
    })
}

/// Reads the chain about the recorded intent and ends it once its fate is certain.
async fn resolve(t: &Target<'_>, status: &mut NeuronStatus) -> Result<StepOutcome> {
    let Some(intent) = status.pending_registration.clone() else {
        return Ok(StepOutcome::default());
    };
    let Some(chain) = client(t) else {
        return Ok(StepOutcome::retry(RETRY));
    };
    if !status_is_current(t, status).await? {
        return Ok(StepOutcome::retry(Duration::from_secs(1)));
    }
    let hotkey = AccountId::from_ss58(&intent.hotkey).unwrap_or(t.hotkey);
    // Without the signer, its nonce stays unknown: only "registered" or "expired" can end it.
    let signer = load_signer(t).await?.ok();
    let reads = async {
        let head = chain.head().await?;
        let uid = chain.uid_of(t.subnet.spec.netuid, &hotkey).await?;
        let signer_nonce = match &signer {
            Some(s) => chain.account_nonce(&s.signer_account()).await?,
            None => intent.nonce,
        };
        Ok::<_, ChainError>(IntentProbe {
            head,
            uid,
            signer_nonce,
        })
    };
    let probe = match reads.await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(neuron = %t.neuron.name_any(), error = %e, "registration intent: chain read failed");
            return Ok(StepOutcome::retry(RETRY));
        }
    };
    let (result, paid_rao) = match resolve_intent(&intent, &probe) {
        IntentResolution::StillPending => {
            tracing::info!(neuron = %t.neuron.name_any(), head = probe.head, mortal_until = intent.mortal_until_block, "registration intent may still be included; waiting");
            return Ok(StepOutcome {
                conditions: clear(),
                requeue: Some(RETRY),
            });
        }
        // The answer was lost: the burn is unknown, so the cost limit is recorded (an upper
        // bound, the safe side for budgets).
        IntentResolution::Registered { .. } => ("SuccessAmountUnknown", intent.limit_rao),
        IntentResolution::NonceUsedNotRegistered => ("NonceUsedNotRegistered", 0),
        IntentResolution::Expired => ("Expired", 0),
    };
    let record = RegistrationRecord {
        block: probe.head,
        tx_hash: intent.tx_hash.clone(),
        paid_rao,
        result: result.into(),
        hotkey: Some(intent.hotkey.clone()),
        at: Some(jiff::Timestamp::now().to_string()),
    };
    finish(t, status, record).await
}
