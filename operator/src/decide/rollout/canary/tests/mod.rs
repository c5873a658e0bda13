//! The Canary step function driven like the controller drives it: each step's updates and
//! rollbacks are applied to the members (their pods restart unready), the chain moves on, and
//! the next step starts from the status the last one returned.

use super::*;
use crate::api::verdict;
use crate::api::RolloutSpec;
use crate::decide::rollout::epoch::Schedule;
use crate::decide::rollout::settings;

const OLD: &str = "rev-old";
const NEW: &str = "rev-new";
const HASH: &str = "spec-1";
/// netuid 21, tempo 9: epochs at blocks ≡ 7 (mod 10); window 3 blocks, bound 10.
const T0: i64 = 1_800_000_000;

fn settings(yaml: &str) -> Settings {
    let spec: RolloutSpec = serde_yaml::from_str(yaml).unwrap();
    settings::resolve(&spec, Role::Miner).unwrap()
}

fn member(ordinal: i32, incentive: f64) -> CanaryMember {
    CanaryMember {
        ordinal,
        revision: Some(OLD.into()),
        ready: true,
        registered: true,
        crash_looping: false,
        figures: Some(Figures {
            incentive,
            dividends: 0.0,
            validator_trust: None,
        }),
        immune: false,
        last_update: Some(0),
    }
}

struct Sim {
    settings: Settings,
    members: Vec<CanaryMember>,
    block: u64,
    secs: i64,
    status: RolloutStatus,
    stable: Option<&'static str>,
    spec_hash: &'static str,
    max_unavailable: u32,
    notes: Vec<Note>,
    rolled_back: Vec<&'static str>,
    no_chain: bool,
}

impl Sim {
    fn new(settings_yaml: &str, figures: &[f64]) -> Self {
        Sim {
            settings: settings(settings_yaml),
            members: figures
                .iter()
                .enumerate()
                .map(|(o, f)| member(o as i32, *f))
                .collect(),
            block: 1000,
            secs: 0,
            status: RolloutStatus {
                update_revision: OLD.into(),
                step: step::COMPLETE.into(),
                ..Default::default()
            },
            stable: Some(OLD),
            spec_hash: HASH,
            max_unavailable: 1,
            notes: Vec::new(),
            rolled_back: Vec::new(),
            no_chain: false,
        }
    }

    /// One reconcile at the current block; applies what it decided.
    fn step(&mut self) -> CanaryOutcome {
        let chain = ChainNow {
            block: self.block,
            schedule: Schedule {
                netuid: 21,
                tempo: 9,
                last_epoch_block: None,
            },
        };
        let out = step(&CanaryInput {
            settings: &self.settings,
            role: Role::Miner,
            target: NEW,
            spec_hash: self.spec_hash,
            stable: self.stable,
            members: &self.members,
            chain: (!self.no_chain).then_some(chain),
            prev: &self.status,
            max_unavailable: self.max_unavailable,
            now: jiff::Timestamp::from_second(T0 + self.secs).unwrap(),
        });
        for (list, rev) in [(&out.update, NEW), (&out.rollback, OLD)] {
            for o in list {
                let m = self.members.iter_mut().find(|m| m.ordinal == *o).unwrap();
                m.revision = Some(rev.into());
                m.ready = false;
            }
        }
        self.status = out.status.clone();
        self.notes.extend(out.notes.clone());
        self.rolled_back.extend(out.rolled_back);
        out
    }

    /// Pods of these ordinals become Ready; figures by revision: `new` for the new one.
    fn kubelet(&mut self, new: f64) {
        for m in &mut self.members {
            m.ready = true;
            if m.revision.as_deref() == Some(NEW) {
                m.figures.as_mut().unwrap().incentive = new;
            }
        }
    }

    fn revisions(&self) -> Vec<&str> {
        self.members
            .iter()
            .map(|m| m.revision.as_deref().unwrap())
            .collect()
    }

    fn reasons(&self) -> Vec<&str> {
        self.notes.iter().map(|n| n.reason).collect()
    }
}

fn cond<'a>(out: &'a CanaryOutcome, type_: &str) -> &'a CondSpec {
    out.conditions.iter().find(|c| c.type_ == type_).unwrap()
}

#[test]
fn a_good_canary_soaks_then_the_rest_follow_in_windows() {
    let mut s = Sim::new("strategy: Canary", &[0.10, 0.11, 0.09]);
    s.block = 1008; // 1 block after an epoch: window open
    let out = s.step();
    assert_eq!(
        out.update,
        vec![0],
        "the lowest judgeable ordinal goes first"
    );
    assert_eq!(s.status.step, step::CANARY);
    assert_eq!(s.status.canary_before, Some(0.10));
    let prog = cond(&out, types::PROGRESSING);
    assert_eq!(prog.reason, "CanaryUpdating");
    assert!(
        prog.message
            .contains("ordinal(s) 0 at block 1008, 1 block(s) after an epoch boundary"),
        "{}",
        prog.message
    );
    assert!(!cond(&out, types::ROLLOUT_PAUSED).status);
    s.kubelet(0.105);
    s.block = 1012;
    let out = s.step();
    assert!(out.update.is_empty());
    assert_eq!(
        (s.status.step.as_str(), s.status.soak_started_block),
        (step::SOAKING, Some(1012))
    );
    assert_eq!(
        s.status.soak_until_block,
        Some(1027),
        "two epochs after 1012: 1017, 1027"
    );
    s.block = 1026;
    let out = s.step();
    assert_eq!(cond(&out, types::PROGRESSING).reason, "Soaking");
    assert!(
        s.status.last_comparison.is_none(),
        "not judged before the soak ends"
    );
    s.block = 1027;
    let out = s.step();
    let c = s.status.last_comparison.clone().unwrap();
    assert_eq!(
        (c.result.as_str(), c.block, c.peers),
        (verdict::PASSED, 1027, 2)
    );
    assert_eq!(
        c.drop.as_deref(),
        Some("-5.0%"),
        "0.105 against the median 0.10 of 0.11, 0.09"
    );
    assert_eq!(s.status.step, step::BATCHES);
    assert_eq!(
        out.update,
        vec![1],
        "ordinal 1 restarts: block 1027 is an epoch boundary"
    );
    s.block = 1031; // 4 blocks after the epoch: outside the window
    let out = s.step();
    assert!(
        out.update.is_empty(),
        "ordinal 1 not Ready yet holds the only slot"
    );
    s.kubelet(0.105);
    let out = s.step();
    assert!(out.update.is_empty(), "ordinal 2 waits for its window");
    assert_eq!(s.status.due_since_block, Some(1031));
    assert!(cond(&out, types::PROGRESSING)
        .message
        .contains("restart window"));
    s.block = 1037;
    let out = s.step();
    assert_eq!(out.update, vec![2]);
    s.kubelet(0.105);
    let out = s.step();
    assert_eq!(s.status.step, step::COMPLETE);
    assert_eq!(cond(&out, types::PROGRESSING).reason, "Complete");
    assert_eq!(out.recheck_secs, None);
    assert_eq!(s.revisions(), [NEW, NEW, NEW]);
    assert_eq!(
        s.reasons(),
        ["CanaryStarted", "CanaryPassed", "RolloutComplete"]
    );
    assert!(s.rolled_back.is_empty());
}

#[test]
fn a_closed_window_delays_the_canary_within_the_bound() {
    let mut s = Sim::new(
        "{strategy: Canary, restartWindowBlocks: 2, maxRestartDelayBlocks: 6}",
        &[0.1, 0.1],
    );
    s.block = 1010; // 3 blocks after the epoch at 1007
    let out = s.step();
    assert!(out.update.is_empty());
    assert_eq!(s.status.due_since_block, Some(1010));
    assert!(cond(&out, types::PROGRESSING)
        .message
        .contains("epoch boundary"));
    s.block = 1015;
    assert!(s.step().update.is_empty());
    s.block = 1016; // waited 6 blocks: the bound
    assert_eq!(s.step().update, vec![0]);
    assert_eq!(s.status.due_since_block, None);
}

#[test]
fn without_a_chain_view_the_canary_waits_for_it() {
    let mut s = Sim::new("strategy: Canary", &[0.1, 0.1]);
    s.no_chain = true;
    let out = s.step();
    assert!(out.update.is_empty());
    assert!(cond(&out, types::PROGRESSING)
        .message
        .contains("first chain poll"));
    s.no_chain = false;
    s.block = 1007;
    assert_eq!(s.step().update, vec![0]);
}

#[test]
fn canaries_are_judgeable_members_first() {
    let mut s = Sim::new("{strategy: Canary, canary: 2}", &[0.1, 0.0, 0.1, 0.1, 0.1]);
    s.members[0].immune = true;
    s.members[2].ready = false;
    s.members[3].registered = false;
    s.block = 1007;
    s.step();
    // 4 is judgeable; then 0 (immune, judged on its own figure) before 1 (earns nothing),
    // 2 (not Ready) and 3 (no uid)
    assert_eq!(s.status.canaries, vec![0, 4]);
    assert_eq!(s.status.canary_before, Some(0.1), "their median before");
    let mut s = Sim::new("{strategy: Canary, canary: 2}", &[0.0, 0.1]);
    s.members[1].ready = false;
    s.step();
    assert_eq!(s.status.canaries, vec![0, 1]);
    assert_eq!(
        s.status.canary_before,
        Some(0.05),
        "the median of 0 and 0.1"
    );
}

#[test]
fn a_new_template_mid_canary_starts_over() {
    let mut s = Sim::new("strategy: Canary", &[0.1, 0.1, 0.1]);
    s.block = 1007;
    s.step();
    s.kubelet(0.1);
    s.step();
    assert_eq!(s.status.step, step::SOAKING);
    // The previous status names another update revision: the soak is not carried over.
    s.status.update_revision = "rev-other".into();
    s.block = 1017;
    let out = s.step();
    assert_eq!(s.status.step, step::CANARY);
    assert_eq!(s.status.soak_started_block, None);
    assert_eq!(
        out.update,
        vec![1],
        "ordinal 0 runs NEW already; a new canary is chosen"
    );
}

mod failures;
