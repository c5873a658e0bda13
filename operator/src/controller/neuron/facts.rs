//! From what dereferencing found to what the plan decides on (`decide::neuron_plan::PlanInput`):
//! chain figures, the ledger's sums, the executor's last word, the axon address, the health
//! facts. No API call, no chain call.

use super::observe::{Coldkey, Observed};
use crate::api::{Neuron, NeuronPhase, NeuronStatus, RegistrationMode, Role, SpendCall};
use crate::chain::client::calls::axon_address_error;
use crate::children::{external_port, service_external, ExternalAxon};
use crate::controller::context::Context;
use crate::controller::spending::{Kind, Owner};
use crate::controller::status::pod_summary;
use crate::decide::ledger::{self, Scope};
use crate::decide::neuron_plan::{
    pick_ip, AxonFacts, PlanInput, Refused, RegisterCaps, RegisterFacts, StakeFacts, StakeTarget,
};
use crate::decide::registration::ChainView;
use crate::decide::spend_pause::{cap_rao, min_budget};
use crate::decide::ChainFacts;
use jiff::{SignedDuration, Timestamp};
use kube::ResourceExt;
use std::net::IpAddr;

/// Whether the executor last found the chain ahead of this Neuron's snapshot (for registration
/// or stake): the plan holds that request back, and nothing but a later poll may show the
/// snapshot catching up, which wakes a Neuron only when its figures change.
pub fn held_for_newer_view(ctx: &Context, obs: &Observed, owner: &Owner) -> bool {
    let view = view_of(obs);
    [Kind::Register, Kind::Stake]
        .into_iter()
        .any(|k| ctx.executor.chain_ahead(owner, k, view))
}

/// The block of the plan's snapshot and when it was polled.
fn view_of(obs: &Observed) -> Option<(u64, Option<Timestamp>)> {
    let block = obs.snapshot()?.block;
    Some((block, obs.chain.as_ref().and_then(|c| c.polled_at)))
}

/// Whom the executor's requests and feedback are about.
pub fn owner(neuron: &Neuron, obs: &Observed) -> Owner {
    Owner {
        namespace: neuron.namespace().unwrap_or_default(),
        neuron: neuron.name_any(),
        uid: neuron.uid(),
        set: obs.set.as_ref().map(|s| s.name_any()),
    }
}

fn refused(ctx: &Context, owner: &Owner, kind: Kind) -> Option<Refused> {
    ctx.executor
        .feedback()
        .get(&owner.key(), kind)
        .map(|r| Refused {
            reason: r.reason,
            message: r.message,
            retry_at: r.retry_at,
        })
}

/// A coldkey problem shown as a refusal of whatever needs the coldkey.
fn coldkey_refusal(c: &Coldkey, now: Timestamp) -> Option<Refused> {
    let message = match c {
        Coldkey::Missing(m) | Coldkey::Unusable(m) => m.clone(),
        _ => return None,
    };
    let reason = "ColdkeyUnusable";
    Some(Refused {
        reason: reason.into(),
        message,
        retry_at: now + SignedDuration::from_secs(30),
    })
}

pub fn chain_facts(obs: &Observed) -> ChainFacts {
    match &obs.chain {
        None => ChainFacts::NotPolled,
        Some(c) if !c.reachable => {
            ChainFacts::Unreachable(c.last_error.clone().unwrap_or_default())
        }
        Some(c) if c.subnet_missing => ChainFacts::Polled { uid: None },
        Some(c) if c.snapshot.is_none() => ChainFacts::NotPolled,
        Some(_) => ChainFacts::Polled {
            uid: obs.info().map(|i| i.uid),
        },
    }
}

pub fn plan_input(
    neuron: &Neuron,
    ctx: &Context,
    obs: &Observed,
    prev: &NeuronStatus,
    now: Timestamp,
) -> PlanInput {
    let owner = owner(neuron, obs);
    let spec = &neuron.spec;
    PlanInput {
        now,
        blocker: obs.blocker.clone(),
        suspended: spec.suspend,
        external_registration: spec.registration.mode == RegistrationMode::External,
        chain: chain_facts(obs),
        previously_registered: prev.uid.is_some() || prev.phase == NeuronPhase::Deregistered,
        pod: obs.pod.as_deref().map(pod_summary),
        pod_trouble: crate::decide::neuron_plan::pod_trouble(obs.pod.as_deref()),
        register: register(neuron, ctx, obs, prev, &owner, now),
        stake: stake(neuron, ctx, obs, &owner, now),
        axon: axon(neuron, ctx, obs, &owner),
        health: super::health::facts(neuron, ctx, obs, prev, now),
        risk: obs
            .snapshot()
            .zip(obs.hotkey_id())
            .and_then(|(s, hk)| crate::decide::pruning::risk(s, &hk)),
    }
}

fn register(
    neuron: &Neuron,
    ctx: &Context,
    obs: &Observed,
    prev: &NeuronStatus,
    owner: &Owner,
    now: Timestamp,
) -> RegisterFacts {
    let spec = &neuron.spec.registration;
    let Some(subnet) = &obs.subnet else {
        return RegisterFacts::default();
    };
    let name = neuron.name_any();
    let budget = subnet.spec.registration.budget_tao_per24h.as_ref();
    let caps = cap_rao(
        spec.max_burn_tao.as_ref(),
        &subnet.spec.registration.max_burn_tao,
    )
    .and_then(|cap_rao| {
        let subnet_budget_rao = budget
            .map(|b| {
                b.to_rao()
                    .map_err(|e| format!("Subnet spec.registration.budgetTaoPer24h: {}", e.0))
            })
            .transpose()?;
        // An unparsable set budget counts as zero: never spend on a bad cap.
        let set_budget_rao = obs
            .set
            .as_ref()
            .and_then(|s| s.spec.budget.as_ref())
            .map(|b| b.max_total_burn_tao.to_rao().unwrap_or(0));
        Ok(RegisterCaps {
            cap_rao,
            subnet_budget_rao,
            set_budget_rao,
        })
    });
    let spends = &obs.spends;
    let subnet_left = caps.as_ref().ok().and_then(|c| {
        ledger::remaining(
            c.subnet_budget_rao,
            ledger::spent_last_24h(spends, Scope::Subnet(&subnet.name_any()), now),
        )
    });
    let set_left = caps.as_ref().ok().and_then(|c| {
        let set = obs.set.as_ref()?.name_any();
        ledger::remaining(
            c.set_budget_rao,
            ledger::spent(spends, Scope::Set(&set), None),
        )
    });
    let in_flight = ledger::in_flight(spends, &name)
        .iter()
        .any(|s| s.spec.call == SpendCall::Register)
        || ctx
            .executor
            .busy_or_ahead(owner, Kind::Register, view_of(obs));
    RegisterFacts {
        mode: spec.mode,
        reregister: spec.reregister,
        has_coldkey: !matches!(obs.coldkey, Coldkey::NotSet),
        caps: Some(caps),
        budget_left_rao: min_budget(subnet_left, set_left),
        chain: obs.snapshot().map(|snap| ChainView {
            uid: obs.info().map(|n| n.uid),
            burn_rao: snap.params.burn,
            registration_allowed: snap.params.registration_allowed,
        }),
        in_flight,
        was_registered: prev.uid.is_some()
            || prev.phase == NeuronPhase::Deregistered
            || ledger::ever_registered(spends, &name),
        refusal: coldkey_refusal(&obs.coldkey, now).or_else(|| refused(ctx, owner, Kind::Register)),
        identity: super::identity::identity(neuron, obs, obs.payer().map(|p| p.ss58())),
        hotkey: obs.hotkey.as_ref().map(|h| h.ss58()).unwrap_or_default(),
    }
}

fn stake(
    neuron: &Neuron,
    ctx: &Context,
    obs: &Observed,
    owner: &Owner,
    now: Timestamp,
) -> Option<StakeFacts> {
    let spec = neuron
        .spec
        .stake
        .as_ref()
        .filter(|_| neuron.spec.role == Role::Validator)?;
    let target = (|| {
        let target_rao = spec
            .target_tao
            .to_rao()
            .map_err(|e| format!("stake.targetTao: {}", e.0))?;
        let max_add_per_day_rao = match &spec.max_add_per_day_tao {
            Some(t) => t
                .to_rao()
                .map_err(|e| format!("stake.maxAddPerDayTao: {}", e.0))?,
            None => target_rao,
        };
        let max_slippage_percent = spec
            .slippage_percent()
            .map_err(|e| format!("stake.maxSlippagePercent: {e}"))?;
        Ok(StakeTarget {
            target_rao,
            max_add_per_day_rao,
            allow_unstake: spec.allow_unstake,
            max_slippage_percent,
        })
    })();
    let name = neuron.name_any();
    let own_value_rao = (|| {
        let snap = obs.snapshot()?;
        let payer = crate::chain::AccountId(obs.coldkey.ids()?.payer);
        let own = snap.own_stake(&obs.hotkey_id()?, &payer)?;
        Some(snap.pool.as_ref()?.tao_value(own))
    })();
    Some(StakeFacts {
        target,
        own_value_rao,
        added_last_24h_rao: ledger::spent_last_24h(
            &obs.spends,
            Scope::Neuron(&name, SpendCall::AddStake),
            now,
        ),
        in_flight: ledger::in_flight(&obs.spends, &name)
            .iter()
            .any(|s| s.spec.call != SpendCall::Register)
            || ctx.executor.busy_or_ahead(owner, Kind::Stake, view_of(obs)),
        refusal: coldkey_refusal(&obs.coldkey, now).or_else(|| refused(ctx, owner, Kind::Stake)),
    })
}

/// An address to publish: it parses, the chain accepts it (exactly the chain's rule:
/// `client::calls::axon_address_error`; 127.0.0.2 and private ranges pass, 127.0.0.1 and ::1 do
/// not), and it is not unspecified (0.0.0.0 is the chain's "not served"). The error says why.
pub fn usable(ip: &str, port: u16) -> Result<IpAddr, String> {
    let addr: IpAddr = ip
        .parse()
        .map_err(|_| format!("{ip:?} is not an IP address"))?;
    if addr.is_unspecified() {
        return Err(format!(
            "{addr} is the unspecified address: nobody can reach it"
        ));
    }
    match axon_address_error(addr, port) {
        Some(e) => Err(e),
        None => Ok(addr),
    }
}

fn axon(neuron: &Neuron, ctx: &Context, obs: &Observed, owner: &Owner) -> Option<AxonFacts> {
    let axon = &neuron.spec.axon;
    if !axon.serve {
        return None;
    }
    let ext = obs
        .service
        .as_deref()
        .map(service_external)
        .unwrap_or_default();
    let explicit = axon.external_ip.as_deref().filter(|s| !s.is_empty());
    let ip = pick_ip(
        axon.expose,
        explicit,
        ext.ip.as_deref(),
        &obs.node_addresses,
    );
    let port = external_port(
        neuron,
        &ExternalAxon {
            ip: ip.clone(),
            port: ext.port,
        },
    );
    let want = match (ip, port) {
        (Some(ip), Some(port)) => usable(&ip, port).map(|a| Some((a, port))),
        _ => Ok(None),
    };
    let info = obs.info();
    let snap = obs.snapshot();
    Some(AxonFacts {
        registered: info.is_some(),
        want,
        on_chain: info
            .and_then(|i| i.axon.as_ref())
            .map(|a| (a.ip, a.port, a.block)),
        served: ctx.executor.served(owner),
        block: snap.map_or(0, |s| s.block),
        rate_limit: snap.map_or(0, |s| s.params.serving_rate_limit),
        busy: ctx.executor.busy(owner, Kind::Serve),
        refusal: refused(ctx, owner, Kind::Serve),
    })
}

#[cfg(test)]
#[path = "facts_tests.rs"]
mod tests;
