use super::*;
use NeuronPhase::*;

fn pod(ready: bool, restarts: i32) -> Option<PodStatusSummary> {
    Some(PodStatusSummary {
        name: "n-0".into(),
        ready,
        restarts,
        ..Default::default()
    })
}

fn facts(chain: ChainFacts) -> NeuronFacts {
    NeuronFacts {
        blocker: None,
        suspended: false,
        chain,
        previously_registered: false,
        registration_pending: false,
        external_registration: false,
        pod: None,
    }
}

fn status_of(d: &NeuronDecision, t: &str) -> Option<(bool, String)> {
    d.conditions
        .iter()
        .find(|c| c.type_ == t)
        .map(|c| (c.status, c.reason.clone()))
}

const REG: ChainFacts = ChainFacts::Polled { uid: Some(7) };
const UNREG: ChainFacts = ChainFacts::Polled { uid: None };

#[test]
fn phase_replicas_and_ready_table() {
    let down = ChainFacts::Unreachable("timeout".into());
    type Edit = fn(&mut NeuronFacts);
    // (chain, edit, phase, replicas, Registered, PodReady reason, Ready)
    let cases: Vec<(ChainFacts, Edit, NeuronPhase, i32, bool, &str, bool)> = vec![
        (UNREG, |_| {}, Pending, 0, false, "NotRegistered", false),
        (REG, |_| {}, Registered, 1, true, "PodMissing", false),
        (
            REG,
            |f| f.pod = pod(false, 0),
            Registered,
            1,
            true,
            "PodNotReady",
            false,
        ),
        (
            REG,
            |f| f.pod = pod(false, 3),
            Degraded,
            1,
            true,
            "PodNotReady",
            false,
        ),
        (
            REG,
            |f| f.pod = pod(true, 0),
            Running,
            1,
            true,
            "PodReady",
            true,
        ),
        (
            REG,
            |f| f.suspended = true,
            Suspended,
            0,
            true,
            "Suspended",
            false,
        ),
        (
            UNREG,
            |f| f.previously_registered = true,
            Deregistered,
            0,
            false,
            "NotRegistered",
            false,
        ),
        (
            UNREG,
            |f| f.registration_pending = true,
            Registering,
            0,
            false,
            "NotRegistered",
            false,
        ),
        (
            ChainFacts::NotPolled,
            |_| {},
            Pending,
            0,
            false,
            "NotRegistered",
            false,
        ),
        // The chain going away never scales a registered neuron down.
        (
            down.clone(),
            |f| {
                f.previously_registered = true;
                f.pod = pod(true, 0)
            },
            Running,
            1,
            true,
            "PodReady",
            true,
        ),
        (down, |_| {}, Pending, 0, false, "NotRegistered", false),
    ];
    for (i, (chain, edit, phase, replicas, registered, pod_reason, ready)) in
        cases.into_iter().enumerate()
    {
        let mut f = facts(chain);
        edit(&mut f);
        let d = decide_neuron(&f);
        assert_eq!(d.phase, phase, "case {i}");
        assert_eq!(d.replicas, replicas, "case {i}");
        assert_eq!(d.registered, registered, "case {i}");
        assert_eq!(
            status_of(&d, types::REGISTERED).unwrap().0,
            registered,
            "case {i}"
        );
        assert_eq!(
            status_of(&d, types::POD_READY).unwrap().1,
            pod_reason,
            "case {i}"
        );
        assert_eq!(status_of(&d, types::READY).unwrap().0, ready, "case {i}");
    }
}

#[test]
fn registered_reasons() {
    let mut ext = facts(UNREG);
    ext.external_registration = true;
    let cases = [
        (facts(REG), "Registered"),
        (facts(UNREG), "NotRegistered"),
        (ext, "AwaitingExternalRegistration"),
        (
            facts(ChainFacts::Unreachable("x".into())),
            "ChainUnreachable",
        ),
        (facts(ChainFacts::NotPolled), "ChainNotPolled"),
    ];
    for (f, reason) in cases {
        assert_eq!(
            status_of(&decide_neuron(&f), types::REGISTERED).unwrap().1,
            reason
        );
    }
}

#[test]
fn blockers_mean_no_pod_and_their_own_condition() {
    let cases = [
        (
            Blocker::SubnetNotFound("sn".into()),
            Some(types::SUBNET_NOT_FOUND),
            Pending,
        ),
        (
            Blocker::InvalidSpec("x".into()),
            Some(types::INVALID_SPEC),
            Failed,
        ),
        (
            Blocker::HotkeyConflict("y".into()),
            Some(types::HOTKEY_CONFLICT),
            Failed,
        ),
        (
            Blocker::HotkeyInvalid("z".into()),
            Some(types::INVALID_SPEC),
            Failed,
        ),
        (Blocker::HotkeyMissing("w".into()), None, Pending),
    ];
    for (b, cond, phase) in cases {
        let mut f = facts(REG);
        f.pod = pod(true, 0);
        f.blocker = Some(b.clone());
        let d = decide_neuron(&f);
        assert_eq!(d.replicas, 0, "{b:?}");
        assert_eq!(d.phase, phase, "{b:?}");
        let ready = status_of(&d, types::READY).unwrap();
        assert_eq!(ready, (false, b.reason().to_string()));
        if let Some(t) = cond {
            assert_eq!(status_of(&d, t), Some((true, b.reason().to_string())));
        }
        assert_eq!(d.conditions.len(), 1 + usize::from(cond.is_some()));
    }
}
