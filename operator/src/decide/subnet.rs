//! A Subnet's member counts and conditions.

use crate::api::{types, CondSpec, Condition, NeuronCounts};

/// One member Neuron as the Subnet sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub registered: bool,
    pub ready: bool,
}

pub fn count_members(members: &[Member]) -> NeuronCounts {
    let n = |f: fn(&Member) -> bool| members.iter().filter(|m| f(m)).count() as u32;
    NeuronCounts::new(members.len() as u32, n(|m| m.registered), n(|m| m.ready))
}

/// How the chain looks from the poller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PollState {
    NotPolled,
    Reachable { endpoint: String },
    Unreachable { error: String },
    SubnetMissing { netuid: u16 },
}

/// `ChainReachable` and `Ready`, or `InvalidSpec` + `Ready=False` when the spec is invalid.
pub fn subnet_conditions(invalid: Option<&str>, poll: &PollState) -> Vec<CondSpec> {
    if let Some(msg) = invalid {
        return vec![
            CondSpec::new(types::INVALID_SPEC, true, "InvalidSpec", msg),
            CondSpec::new(types::READY, false, "InvalidSpec", msg),
        ];
    }
    let (reachable, ready) = match poll {
        PollState::NotPolled => (
            CondSpec::new(
                types::CHAIN_REACHABLE,
                false,
                "NotPolled",
                "waiting for the first poll",
            ),
            CondSpec::new(
                types::READY,
                false,
                "NotPolled",
                "waiting for the first poll",
            ),
        ),
        PollState::Reachable { endpoint } => (
            CondSpec::new(
                types::CHAIN_REACHABLE,
                true,
                "Polled",
                format!("polling {endpoint}"),
            ),
            CondSpec::new(types::READY, true, "Polled", "the subnet is polled"),
        ),
        PollState::Unreachable { error } => (
            CondSpec::new(types::CHAIN_REACHABLE, false, "Unreachable", error.clone()),
            CondSpec::new(types::READY, false, "ChainUnreachable", error.clone()),
        ),
        PollState::SubnetMissing { netuid } => {
            let msg = format!("netuid {netuid} does not exist on the chain");
            (
                CondSpec::new(types::CHAIN_REACHABLE, true, "Polled", "the chain answers"),
                CondSpec::new(types::READY, false, "SubnetNotOnChain", msg),
            )
        }
    };
    vec![reachable, ready]
}

/// Ready reasons that a user must act on and that deserve a Warning Event on the Subnet.
const WARN_READY_REASONS: [&str; 2] = ["ChainUnreachable", "SubnetNotOnChain"];

/// The Warning Event (reason, message) to publish when the Subnet's Ready condition newly turns
/// False for a chain problem: only on a change of reason, so a failing poll every few seconds
/// (whose message may change with each attempt) gives one Event, not one per poll.
pub fn subnet_warning<'a>(
    previous: &[Condition],
    ours: &'a [CondSpec],
) -> Option<(&'a str, &'a str)> {
    let ready = ours.iter().find(|c| c.type_ == types::READY && !c.status)?;
    if !WARN_READY_REASONS.contains(&ready.reason.as_str()) {
        return None;
    }
    let seen = previous
        .iter()
        .any(|c| c.type_ == types::READY && c.status == "False" && c.reason == ready.reason);
    (!seen).then_some((ready.reason.as_str(), ready.message.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_once_per_chain_problem() {
        let cond = |status: &str, reason: &str| {
            let spec = CondSpec::new(types::READY, status == "True", reason, "m");
            let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now());
            crate::api::merge_conditions(&[], &[spec], None, &now).remove(0)
        };
        let down = subnet_conditions(None, &PollState::Unreachable { error: "e1".into() });
        let missing = subnet_conditions(None, &PollState::SubnetMissing { netuid: 9 });
        let up = subnet_conditions(
            None,
            &PollState::Reachable {
                endpoint: "ws://a".into(),
            },
        );
        let invalid = subnet_conditions(Some("spec.x: bad"), &PollState::NotPolled);
        // (previous Ready, new conditions, expected Event reason)
        let cases = [
            (vec![], &down, Some("ChainUnreachable")),
            (
                vec![cond("True", "Polled")],
                &down,
                Some("ChainUnreachable"),
            ),
            (vec![cond("False", "ChainUnreachable")], &down, None),
            (
                vec![cond("False", "ChainUnreachable")],
                &missing,
                Some("SubnetNotOnChain"),
            ),
            (vec![cond("False", "SubnetNotOnChain")], &missing, None),
            (vec![cond("False", "NotPolled")], &up, None),
            // InvalidSpec has its own Event in the reconciler
            (vec![], &invalid, None),
        ];
        for (prev, ours, want) in cases {
            let got = subnet_warning(&prev, ours).map(|(r, _)| r);
            assert_eq!(got, want, "{prev:?} -> {ours:?}");
        }
        assert_eq!(subnet_warning(&[], &down).unwrap().1, "e1");
    }

    #[test]
    fn counts() {
        let m = |registered, ready| Member { registered, ready };
        let cases = [
            (vec![], (0, 0, 0, "0/0")),
            (
                vec![m(true, true), m(true, false), m(false, false)],
                (3, 2, 1, "2/3"),
            ),
        ];
        for (members, (total, reg, ready, summary)) in cases {
            let c = count_members(&members);
            assert_eq!(
                (c.total, c.registered, c.ready, c.summary.as_str()),
                (total, reg, ready, summary)
            );
        }
    }

    #[test]
    fn conditions_table() {
        let r = |e: &str| PollState::Reachable { endpoint: e.into() };
        // (invalid, poll, [(type, status, reason)])
        let cases = [
            (
                None,
                PollState::NotPolled,
                [
                    (types::CHAIN_REACHABLE, false, "NotPolled"),
                    (types::READY, false, "NotPolled"),
                ],
            ),
            (
                None,
                r("ws://a"),
                [
                    (types::CHAIN_REACHABLE, true, "Polled"),
                    (types::READY, true, "Polled"),
                ],
            ),
            (
                None,
                PollState::Unreachable { error: "e".into() },
                [
                    (types::CHAIN_REACHABLE, false, "Unreachable"),
                    (types::READY, false, "ChainUnreachable"),
                ],
            ),
            (
                None,
                PollState::SubnetMissing { netuid: 9 },
                [
                    (types::CHAIN_REACHABLE, true, "Polled"),
                    (types::READY, false, "SubnetNotOnChain"),
                ],
            ),
            (
                Some("spec.x: bad"),
                r("ws://a"),
                [
                    (types::INVALID_SPEC, true, "InvalidSpec"),
                    (types::READY, false, "InvalidSpec"),
                ],
            ),
        ];
        for (invalid, poll, want) in cases {
            let got: Vec<_> = subnet_conditions(invalid, &poll)
                .into_iter()
                .map(|c| (c.type_, c.status, c.reason))
                .collect();
            let want: Vec<_> = want
                .iter()
                .map(|(t, s, r)| (*t, *s, r.to_string()))
                .collect();
            assert_eq!(got, want, "{poll:?}");
        }
    }
}
