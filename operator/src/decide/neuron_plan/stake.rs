//! Validator stake in the plan: `StakeSatisfied` and the request to move stake, from the stake
//! steps (`decide::stake`) on the TAO value of the coldkey's own alpha and what the ledger shows
//! added today. The executor decides the amount again on its own fresh read.

use super::{until, Refused};
use crate::api::{format_tao, types, CondSpec};
use crate::decide::stake::{decide, StakeInput, StakeStep};
use std::time::Duration;

/// The stake spec in rao.
#[derive(Clone, Debug, PartialEq)]
pub struct StakeTarget {
    pub target_rao: u64,
    pub max_add_per_day_rao: u64,
    pub allow_unstake: bool,
    pub max_slippage_percent: f64,
}

#[derive(Clone, Debug)]
pub struct StakeFacts {
    pub target: Result<StakeTarget, String>,
    /// TAO value of the coldkey's own alpha on the hotkey at the snapshot's price; None until
    /// the snapshot has read both.
    pub own_value_rao: Option<u64>,
    /// TAO the ledger shows added in the last 24 h (the daily cap counts it).
    pub added_last_24h_rao: u64,
    pub in_flight: bool,
    pub refusal: Option<Refused>,
}

pub struct StakePlan {
    pub condition: CondSpec,
    pub action: Option<StakeTarget>,
    pub requeue: Option<Duration>,
}

fn satisfied(status: bool, reason: &str, message: impl Into<String>) -> CondSpec {
    CondSpec::new(types::STAKE_SATISFIED, status, reason, message)
}

pub fn plan(f: &StakeFacts, registered: bool, now: jiff::Timestamp) -> StakePlan {
    let only = |condition| StakePlan {
        condition,
        action: None,
        requeue: None,
    };
    let target = match &f.target {
        Ok(t) => t.clone(),
        Err(msg) => return only(satisfied(false, "InvalidSpec", msg.clone())),
    };
    if !registered {
        return only(satisfied(
            false,
            "NotRegistered",
            "stake is kept once the hotkey is registered",
        ));
    }
    if f.in_flight {
        return only(satisfied(
            false,
            "Staking",
            "a stake operation is in flight",
        ));
    }
    let Some(own) = f.own_value_rao else {
        let msg = "waiting for the coldkey's own stake and the pool price to be read";
        return only(satisfied(false, "Staking", msg));
    };
    let input = StakeInput {
        target_rao: target.target_rao,
        current_rao: own,
        max_add_per_day_rao: target.max_add_per_day_rao,
        added_last_24h_rao: f.added_last_24h_rao,
        allow_unstake: target.allow_unstake,
    };
    match decide(&input) {
        StakeStep::Satisfied => only(satisfied(
            true,
            "TargetReached",
            format!(
                "own stake worth {} TAO, target {} TAO",
                format_tao(own),
                format_tao(target.target_rao)
            ),
        )),
        StakeStep::DailyCapReached { missing_rao } => StakePlan {
            requeue: Some(Duration::from_secs(300)),
            ..only(satisfied(
                false,
                "DailyCapReached",
                format!(
                    "{} TAO below the target; maxAddPerDayTao is used up for the last 24 h",
                    format_tao(missing_rao)
                ),
            ))
        },
        StakeStep::Add { amount_rao } | StakeStep::Remove { amount_rao } => match &f.refusal {
            Some(r) if r.holds(now) => StakePlan {
                condition: satisfied(false, &r.reason, r.message.clone()),
                action: None,
                requeue: Some(until(now, r.retry_at)),
            },
            _ => StakePlan {
                condition: satisfied(
                    false,
                    "Staking",
                    format!("moving {} TAO toward the target", format_tao(amount_rao)),
                ),
                action: Some(target),
                requeue: None,
            },
        },
    }
}
