//! The ways a canary fails (and the ways it cannot be judged).

use super::*;

#[test]
fn a_regressed_canary_is_rolled_back_and_the_rollout_stays_paused() {
    let mut s = Sim::new("strategy: Canary", &[0.10, 0.11, 0.09]);
    s.block = 1007;
    s.step();
    s.kubelet(0.04);
    s.block = 1008;
    s.step();
    s.block = 1027;
    let out = s.step();
    assert_eq!(out.rollback, vec![0]);
    assert_eq!(s.revisions(), [OLD, OLD, OLD]);
    let paused = cond(&out, types::ROLLOUT_PAUSED);
    assert!(paused.status);
    assert_eq!(paused.reason, reason::REGRESSED);
    for want in [
        "0.040000",
        "0.100000",
        "60.0%",
        "maxDrop 20.0%",
        "rolled back ordinal(s) 0 to revision rev-old",
    ] {
        assert!(
            paused.message.contains(want),
            "{want} in {}",
            paused.message
        );
    }
    assert_eq!(cond(&out, types::PROGRESSING).reason, "RolloutPaused");
    assert_eq!(s.rolled_back, [reason::REGRESSED]);
    assert_eq!(
        s.status.last_comparison.as_ref().unwrap().result,
        verdict::REGRESSED
    );
    // Nothing moves while the spec stays: not the window, not time.
    s.kubelet(0.04);
    for block in [1037, 1047, 2000] {
        s.block = block;
        s.secs += 3600;
        let out = s.step();
        assert!(
            out.update.is_empty() && out.rollback.is_empty(),
            "paused at {block}"
        );
        assert_eq!(out.recheck_secs, None, "a settled pause needs no polling");
    }
    assert_eq!(s.reasons(), ["CanaryStarted", "CanaryRegressed"]);
    // A spec change (a new template, or spec.rollout) resumes with a fresh canary.
    s.spec_hash = "spec-2";
    s.block = 2007;
    let out = s.step();
    assert_eq!(out.update, vec![0]);
    assert!(s.status.paused.is_none());
    assert!(!cond(&out, types::ROLLOUT_PAUSED).status);
    assert!(s.reasons().ends_with(&["RolloutResumed", "CanaryStarted"]));
}

#[test]
fn a_crash_looping_canary_fails_at_once() {
    let mut s = Sim::new("strategy: Canary", &[0.10, 0.11]);
    s.block = 1007;
    s.step();
    s.members[0].crash_looping = true;
    s.secs = 10; // far inside the deadline
    let out = s.step();
    assert_eq!(out.rollback, vec![0]);
    assert_eq!(
        cond(&out, types::ROLLOUT_PAUSED).reason,
        reason::CRASH_LOOPING
    );
    assert!(
        s.status.last_comparison.is_none(),
        "no chain verdict was needed"
    );
    assert_eq!(s.rolled_back, [reason::CRASH_LOOPING]);
}

#[test]
fn a_canary_never_ready_fails_at_the_deadline() {
    let mut s = Sim::new(
        "{strategy: Canary, progressDeadlineSeconds: 60}",
        &[0.10, 0.11],
    );
    s.block = 1007;
    s.step();
    s.secs = 60;
    let out = s.step();
    assert!(out.rollback.is_empty(), "60 s is not past a 60 s deadline");
    assert_eq!(cond(&out, types::PROGRESSING).reason, "CanaryUpdating");
    s.secs = 61;
    let out = s.step();
    assert_eq!(out.rollback, vec![0]);
    assert_eq!(cond(&out, types::ROLLOUT_PAUSED).reason, reason::NOT_READY);
    assert!(cond(&out, types::ROLLOUT_PAUSED).message.contains("61 s"));
}

#[test]
fn a_canary_that_goes_unready_while_soaking_fails_at_the_deadline() {
    let mut s = Sim::new(
        "{strategy: Canary, progressDeadlineSeconds: 60}",
        &[0.10, 0.11],
    );
    s.block = 1007;
    s.step();
    s.kubelet(0.10);
    s.step();
    assert_eq!(s.status.step, step::SOAKING);
    s.members[0].ready = false;
    s.secs = 100;
    s.step();
    assert!(s.status.canary_unready_since.is_some());
    s.block = 1040; // the soak is over, but an unready canary is not judged
    let out = s.step();
    assert!(s.status.last_comparison.is_none());
    assert_eq!(cond(&out, types::PROGRESSING).reason, "Soaking");
    s.secs = 161;
    let out = s.step();
    assert_eq!(cond(&out, types::ROLLOUT_PAUSED).reason, reason::NOT_READY);
}

#[test]
fn a_set_of_one_is_judged_on_its_own_figure_before() {
    let mut s = Sim::new("strategy: Canary", &[0.10]);
    s.block = 1007;
    s.step();
    s.kubelet(0.05);
    s.step();
    s.block = 1027;
    let out = s.step();
    let c = s.status.last_comparison.clone().unwrap();
    assert_eq!(
        (c.baseline_source.as_str(), c.baseline),
        ("CanaryBeforeUpdate", Some(0.10))
    );
    assert_eq!(out.rollback, vec![0], "its only member goes back");
    // ... and a good one completes after its soak although nothing was left outdated.
    let mut s = Sim::new("strategy: Canary", &[0.10]);
    s.block = 1007;
    s.step();
    s.kubelet(0.10);
    s.step();
    s.block = 1017;
    assert_eq!(s.step().update, Vec::<i32>::new());
    assert_eq!(s.status.step, step::SOAKING);
    s.block = 1027;
    s.step();
    assert_eq!(s.status.step, step::COMPLETE);
}

#[test]
fn nothing_to_compare_with_proceeds_and_says_so() {
    let mut s = Sim::new("strategy: Canary", &[0.0, 0.0]);
    s.block = 1007;
    s.step();
    s.kubelet(0.0);
    s.step();
    s.block = 1027;
    let out = s.step();
    assert_eq!(
        s.status.last_comparison.as_ref().unwrap().result,
        verdict::INCONCLUSIVE
    );
    assert_eq!(out.update, vec![1], "the rollout goes on");
    let n = s
        .notes
        .iter()
        .find(|n| n.reason == "CanaryInconclusive")
        .unwrap();
    assert!(n.warning && n.message.contains("no baseline"));
}

#[test]
fn an_unavailable_metric_pauses_without_a_rollback() {
    let spec: RolloutSpec =
        serde_yaml::from_str("{strategy: Canary, metric: ValidatorTrust}").unwrap();
    let mut s = Sim::new("strategy: Canary", &[0.1, 0.1]);
    s.settings = settings::resolve(&spec, Role::Validator).unwrap();
    s.block = 1007;
    s.step();
    s.kubelet(0.1);
    s.step();
    s.block = 1027;
    let out = s.step();
    assert!(out.rollback.is_empty());
    assert_eq!(
        cond(&out, types::ROLLOUT_PAUSED).reason,
        reason::METRIC_UNAVAILABLE
    );
    assert!(s.rolled_back.is_empty(), "no rollback counted");
    s.block = 1037;
    let out = s.step();
    assert!(
        out.rollback.is_empty() && out.update.is_empty(),
        "the canary keeps running"
    );
    assert_eq!(s.revisions(), [NEW, OLD]);
}

#[test]
fn without_a_previous_template_a_failure_only_pauses() {
    let mut s = Sim::new("strategy: Canary", &[0.1, 0.1]);
    s.stable = None;
    s.block = 1007;
    s.step();
    s.members[0].crash_looping = true;
    let out = s.step();
    assert!(out.rollback.is_empty());
    assert!(cond(&out, types::ROLLOUT_PAUSED)
        .message
        .contains("no previous template"));
    assert!(s.rolled_back.is_empty());
}
