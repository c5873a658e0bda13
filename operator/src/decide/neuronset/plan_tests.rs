use super::*;

const TAO: u64 = 1_000_000_000;

/// A member: ordinal, updated, ready, registered.
fn m(ordinal: i32, updated: bool, ready: bool, registered: bool) -> MemberView {
    MemberView {
        ordinal,
        updated,
        ready,
        registered,
        ..Default::default()
    }
}

fn ok(ordinal: i32) -> MemberView {
    m(ordinal, true, true, true)
}

fn facts(replicas: i32, members: Vec<MemberView>) -> SetFacts {
    SetFacts {
        replicas,
        max_unavailable: 1,
        members,
        ..Default::default()
    }
}

fn cond<'a>(p: &'a SetPlan, type_: &str) -> Option<&'a CondSpec> {
    p.conditions.iter().find(|c| c.type_ == type_)
}

#[test]
fn ordinals_parse_only_canonical_member_names() {
    let cases = [
        ("fleet-0", Some(0)),
        ("fleet-12", Some(12)),
        ("fleet-01", None),
        ("fleet--1", None),
        ("fleet-x", None),
        ("fleetx-1", None),
        ("other-1", None),
        ("fleet-a-1", None),
    ];
    for (name, want) in cases {
        assert_eq!(ordinal_of("fleet", name), want, "{name}");
    }
}

#[test]
fn scaling_and_replacement_table() {
    let pending = |o| MemberView {
        pending_registration: true,
        ..ok(o)
    };
    let dereg = |o| MemberView {
        deregistered: true,
        ..m(o, true, false, false)
    };
    let deleting = |o| MemberView {
        deleting: true,
        ..ok(o)
    };
    // (name, facts, create, delete, held, replace)
    type Case = (
        &'static str,
        SetFacts,
        Vec<i32>,
        Vec<i32>,
        Vec<i32>,
        Vec<i32>,
    );
    let cases: Vec<Case> = vec![
        ("0 → 0", facts(0, vec![]), vec![], vec![], vec![], vec![]),
        (
            "0 → 5",
            facts(5, vec![]),
            vec![0, 1, 2, 3, 4],
            vec![],
            vec![],
            vec![],
        ),
        (
            "fills gaps",
            facts(3, vec![ok(0), ok(2)]),
            vec![1],
            vec![],
            vec![],
            vec![],
        ),
        (
            "5 → 2: highest first",
            facts(5, (0..5).map(ok).collect()).with_replicas(2),
            vec![],
            vec![4, 3, 2],
            vec![],
            vec![],
        ),
        (
            "a pending registration holds its deletion and the lower ones",
            facts(2, vec![ok(0), ok(1), ok(2), pending(3), ok(4)]),
            vec![],
            vec![4],
            vec![3, 2],
            vec![],
        ),
        (
            "a member being deleted is neither recreated nor deleted again",
            facts(2, vec![ok(0), deleting(1), deleting(2)]),
            vec![],
            vec![],
            vec![],
            vec![],
        ),
        (
            "deregistered, replaceDeregistered off: stays",
            facts(2, vec![ok(0), dereg(1)]),
            vec![],
            vec![],
            vec![],
            vec![],
        ),
        (
            "deregistered, replaceDeregistered on: replaced",
            SetFacts {
                replace_deregistered: true,
                ..facts(2, vec![ok(0), dereg(1)])
            },
            vec![],
            vec![],
            vec![],
            vec![1],
        ),
        (
            "deregistered above replicas: deleted, not replaced",
            SetFacts {
                replace_deregistered: true,
                ..facts(1, vec![ok(0), dereg(1)])
            },
            vec![],
            vec![1],
            vec![],
            vec![],
        ),
        (
            "no replacement once the budget is exhausted",
            SetFacts {
                replace_deregistered: true,
                budget_rao: Some(2 * TAO),
                spent_rao: 2 * TAO,
                ..facts(2, vec![ok(0), dereg(1)])
            },
            vec![],
            vec![],
            vec![],
            vec![],
        ),
        (
            "a taken name is not created",
            SetFacts {
                taken: vec![1],
                ..facts(3, vec![ok(0)])
            },
            vec![2],
            vec![],
            vec![],
            vec![],
        ),
        (
            "invalid spec: nothing changes",
            SetFacts {
                invalid: Some("spec.replicas: must not be negative".into()),
                ..facts(5, vec![ok(7)])
            },
            vec![],
            vec![],
            vec![],
            vec![],
        ),
    ];
    for (name, f, create, delete, held, replace) in cases {
        let p = plan(&f);
        assert_eq!(p.create, create, "{name}: create");
        assert_eq!(p.delete, delete, "{name}: delete");
        assert_eq!(p.held, held, "{name}: held");
        assert_eq!(p.replace, replace, "{name}: replace");
    }
}

impl SetFacts {
    fn with_replicas(mut self, n: i32) -> Self {
        self.replicas = n;
        self
    }
}

#[test]
fn rollout_table() {
    // (name, members, maxUnavailable, update, Progressing reason, message contains)
    type Case = (
        &'static str,
        Vec<MemberView>,
        i32,
        Vec<i32>,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "all current",
            vec![ok(0), ok(1), ok(2)],
            1,
            vec![],
            "Complete",
            "",
        ),
        (
            "starts at ordinal 0",
            vec![
                m(2, false, true, true),
                m(0, false, true, true),
                m(1, false, true, true),
            ],
            1,
            vec![0],
            "RollingUpdate",
            "ordinal(s) 0;",
        ),
        (
            "waits for the updated member: paused, naming it",
            vec![
                m(0, true, false, true),
                m(1, false, true, true),
                m(2, false, true, true),
            ],
            1,
            vec![],
            "RolloutPaused",
            "ordinal(s) 0 to become Ready",
        ),
        (
            "next once Ready",
            vec![ok(0), m(1, false, true, true), m(2, false, true, true)],
            1,
            vec![1],
            "RollingUpdate",
            "2 member(s) on an old template",
        ),
        (
            "a member stuck unready stops the march",
            vec![ok(0), m(1, true, false, true), m(2, false, true, true)],
            1,
            vec![],
            "RolloutPaused",
            "ordinal(s) 1 ",
        ),
        (
            "maxUnavailable 2",
            vec![
                m(0, false, true, true),
                m(1, false, true, true),
                m(2, false, true, true),
            ],
            2,
            vec![0, 1],
            "RollingUpdate",
            "",
        ),
        (
            "unregistered members hold no slot",
            vec![m(0, true, false, false), m(1, false, false, false)],
            1,
            vec![1],
            "RollingUpdate",
            "",
        ),
    ];
    for (name, members, max, update, reason, msg) in cases {
        let n = members.len() as i32;
        let p = plan(&SetFacts {
            max_unavailable: max,
            ..facts(n, members)
        });
        assert_eq!(p.update, update, "{name}: update");
        let c = cond(&p, types::PROGRESSING).unwrap();
        assert_eq!(c.reason, reason, "{name}");
        assert!(c.message.contains(msg), "{name}: {}", c.message);
        assert_eq!(p.unsettled(), reason != "Complete", "{name}: unsettled");
    }
}

#[test]
fn counts_and_ready_condition() {
    let p = plan(&facts(
        3,
        vec![ok(0), m(1, true, false, true), m(2, false, false, false)],
    ));
    assert_eq!(
        p.counts,
        Counts {
            replicas: 3,
            ready: 1,
            registered: 2,
            updated: 2
        }
    );
    let ready = cond(&p, types::READY).unwrap();
    assert!(!ready.status);
    assert_eq!(
        ready.message,
        "1/3 members Ready; 1 not on the current template"
    );
    let all = plan(&facts(2, vec![ok(0), ok(1)]));
    assert!(cond(&all, types::READY).unwrap().status);
    let taken = plan(&SetFacts {
        taken: vec![2],
        ..facts(3, vec![ok(0), ok(1)])
    });
    let c = cond(&taken, types::READY).unwrap();
    assert_eq!((c.status, c.reason.as_str()), (false, "MemberNameTaken"));
    assert!(
        c.message.contains("ordinal(s) 2 have the name"),
        "{}",
        c.message
    );
    assert_eq!(cond(&taken, types::PROGRESSING).unwrap().reason, "Complete");
    assert!(taken.unsettled(), "looks again for the squatter to go");
    let missing = plan(&facts(3, vec![ok(0), ok(1)]));
    assert!(!cond(&missing, types::READY).unwrap().status);
    assert_eq!(
        cond(&missing, types::PROGRESSING).unwrap().reason,
        "Scaling"
    );
}

#[test]
fn budget_condition_table() {
    // (cap, spent, burn, Some(exhausted) or None for no condition)
    let cases = [
        (None, 5 * TAO, Some(TAO), None),
        (Some(5 * TAO), 0, Some(TAO), Some(false)),
        (Some(5 * TAO), 4 * TAO, Some(TAO), Some(false)),
        (Some(5 * TAO), 5 * TAO, Some(TAO), Some(true)),
        (Some(5 * TAO), 6 * TAO, None, Some(true)),
        (Some(5 * TAO), 4 * TAO + 1, Some(TAO), Some(true)),
        (Some(5 * TAO), 4 * TAO + 1, None, Some(false)),
    ];
    for (cap, spent, burn, want) in cases {
        let p = plan(&SetFacts {
            budget_rao: cap,
            spent_rao: spent,
            burn_rao: burn,
            ..facts(0, vec![])
        });
        let got = cond(&p, types::BUDGET_EXHAUSTED).map(|c| c.status);
        assert_eq!(got, want, "cap {cap:?} spent {spent} burn {burn:?}");
    }
}
