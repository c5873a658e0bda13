//! The set plan with rollout facts: revisions per member, the previous template, the Canary
//! strategy's updates and rollbacks, creations while paused.

use super::super::{plan, MemberView, SetFacts};
use super::*;
use crate::api::{types, PausedRollout, RolloutSpec};
use crate::decide::rollout::epoch::Schedule;
use crate::decide::rollout::settings;

fn template(image: &str) -> NeuronSpec {
    serde_yaml::from_str(&format!("{{subnet: sn, role: miner, image: '{image}'}}")).unwrap()
}

fn member(ordinal: i32, rev: &str, image: &str) -> MemberView {
    MemberView {
        ordinal,
        updated: rev == "new",
        revision: Some(rev.into()),
        image: image.into(),
        ready: true,
        registered: true,
        ..Default::default()
    }
}

fn facts(canary: bool, members: Vec<MemberView>, prev: RolloutStatus) -> SetFacts {
    let spec: RolloutSpec = serde_yaml::from_str("strategy: Canary").unwrap();
    let figures = members
        .iter()
        .map(|m| (m.ordinal, MemberChain::default()))
        .collect();
    SetFacts {
        replicas: members.len() as i32,
        max_unavailable: 1,
        members,
        rollout: Some(RolloutFacts {
            canary: canary.then(|| settings::resolve(&spec, Role::Miner).unwrap()),
            role: Role::Miner,
            target: "new".into(),
            template: template("img:2"),
            spec_hash: "h".into(),
            stable: Some(StableRevision {
                revision: "old".into(),
                template: template("img:1"),
            }),
            chain: Some(ChainNow {
                block: 1007,
                schedule: Schedule {
                    netuid: 21,
                    tempo: 9,
                    last_epoch_block: None,
                },
            }),
            figures,
            prev,
            now: jiff::Timestamp::UNIX_EPOCH,
        }),
        ..Default::default()
    }
}

#[test]
fn revisions_list_which_member_runs_what() {
    let p = plan(&facts(
        false,
        vec![
            member(0, "new", "img:2"),
            member(1, "old", "img:1"),
            member(2, "old", "img:1"),
        ],
        RolloutStatus::default(),
    ));
    let st = p.rollout.unwrap();
    assert_eq!(st.step, step::ROLLING);
    assert_eq!(st.update_revision, "new");
    let revs: Vec<(&str, &str, Vec<i32>)> = st
        .revisions
        .iter()
        .map(|r| (r.revision.as_str(), r.image.as_str(), r.ordinals.clone()))
        .collect();
    assert_eq!(
        revs,
        [("new", "img:2", vec![0]), ("old", "img:1", vec![1, 2])]
    );
    assert_eq!(
        st.stable.unwrap().revision,
        "old",
        "kept until the rollout completes"
    );
    assert_eq!(p.update, vec![1], "RollingUpdate as before");
}

#[test]
fn a_complete_rollout_makes_its_template_the_previous_one() {
    for canary in [false, true] {
        let p = plan(&facts(
            canary,
            vec![member(0, "new", "img:2")],
            RolloutStatus::default(),
        ));
        let st = p.rollout.unwrap();
        assert_eq!(st.step, step::COMPLETE, "canary {canary}");
        let stable = st.stable.unwrap();
        assert_eq!(
            (stable.revision.as_str(), stable.template.image.as_str()),
            ("new", "img:2")
        );
        let prog = p
            .conditions
            .iter()
            .find(|c| c.type_ == types::PROGRESSING)
            .unwrap();
        assert_eq!(prog.reason, "Complete");
    }
}

#[test]
fn canary_strategy_updates_one_and_reports_its_conditions() {
    let p = plan(&facts(
        true,
        vec![member(0, "old", "img:1"), member(1, "old", "img:1")],
        RolloutStatus::default(),
    ));
    assert_eq!(p.update, vec![0]);
    let st = p.rollout.as_ref().unwrap();
    assert_eq!(
        (st.step.as_str(), st.canaries.clone()),
        (step::CANARY, vec![0])
    );
    let types_: Vec<&str> = p.conditions.iter().map(|c| c.type_).collect();
    assert_eq!(
        types_,
        [types::READY, types::PROGRESSING, types::ROLLOUT_PAUSED]
    );
    assert_eq!(p.notes[0].reason, "CanaryStarted");
    assert_eq!(p.recheck_secs(), Some(5));
}

#[test]
fn a_paused_rollout_creates_members_at_the_previous_template() {
    let prev = RolloutStatus {
        update_revision: "new".into(),
        step: step::PAUSED.into(),
        paused: Some(PausedRollout {
            revision: "new".into(),
            spec_hash: "h".into(),
            reason: "CanaryRegressed".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut f = facts(true, vec![member(0, "old", "img:1")], prev);
    f.replicas = 2;
    let p = plan(&f);
    assert_eq!(p.create, vec![1]);
    assert!(p.create_at_stable);
    assert!(p.update.is_empty() && p.rollback.is_empty());
    let paused = p
        .conditions
        .iter()
        .find(|c| c.type_ == types::ROLLOUT_PAUSED)
        .unwrap();
    assert!(paused.status);
    // a member still on the failed revision goes back
    let mut f = facts(
        true,
        vec![member(0, "new", "img:2")],
        p.rollout.clone().unwrap(),
    );
    f.replicas = 1;
    assert_eq!(plan(&f).rollback, vec![0]);
}

#[test]
fn without_rollout_facts_the_plan_leaves_status_rollout_alone() {
    let f = SetFacts {
        replicas: 1,
        max_unavailable: 1,
        members: vec![member(0, "old", "img:1")],
        ..Default::default()
    };
    let p = plan(&f);
    assert!(p.rollout.is_none());
    assert_eq!(p.update, vec![0]);
}
