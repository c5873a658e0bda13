use super::*;

fn s(ordinal: i32, value: f64) -> Sample {
    Sample {
        ordinal,
        value: Some(value),
        immune: false,
    }
}

fn immune(ordinal: i32, value: f64) -> Sample {
    Sample {
        immune: true,
        ..s(ordinal, value)
    }
}

#[test]
fn medians() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[0.3]), Some(0.3));
    assert_eq!(median(&[0.3, 0.1, 0.2]), Some(0.2));
    assert_eq!(median(&[0.4, 0.1, 0.2, 0.3]), Some(0.25));
    assert_eq!(median(&[f64::NAN, 0.1]), Some(0.1), "NaN never counts");
}

#[test]
fn comparison_table() {
    // (name, canaries, peers, before, maxDrop, outcome, baseline, source, peers used)
    type Case = (
        &'static str,
        Vec<Sample>,
        Vec<Sample>,
        Option<f64>,
        f64,
        Outcome,
        Option<f64>,
        Source,
        u32,
    );
    use Outcome::*;
    let cases: Vec<Case> = vec![
        (
            "as good as the fleet",
            vec![s(0, 0.10)],
            vec![s(1, 0.09), s(2, 0.10), s(3, 0.12)],
            Some(0.1),
            0.2,
            Passed,
            Some(0.10),
            Source::Peers,
            3,
        ),
        (
            "half of the fleet's median",
            vec![s(0, 0.05)],
            vec![s(1, 0.09), s(2, 0.10), s(3, 0.12)],
            Some(0.1),
            0.2,
            Regressed,
            Some(0.10),
            Source::Peers,
            3,
        ),
        (
            "a drop of exactly maxDrop passes",
            vec![s(0, 0.08)],
            vec![s(1, 0.10)],
            None,
            0.2,
            Passed,
            Some(0.10),
            Source::Peers,
            1,
        ),
        (
            "few members: one peer is a baseline",
            vec![s(0, 0.02)],
            vec![s(1, 0.10)],
            None,
            0.2,
            Regressed,
            Some(0.10),
            Source::Peers,
            1,
        ),
        (
            "few members: no peer, the canary's own figure before",
            vec![s(0, 0.05)],
            vec![],
            Some(0.10),
            0.2,
            Regressed,
            Some(0.10),
            Source::CanaryBeforeUpdate,
            1,
        ),
        (
            "few members: no peer, no figure before",
            vec![s(0, 0.05)],
            vec![],
            None,
            0.2,
            Inconclusive,
            None,
            Source::None,
            0,
        ),
        (
            "zero incentive: zero peers are left out of the median",
            vec![s(0, 0.08)],
            vec![s(1, 0.0), s(2, 0.0), s(3, 0.10)],
            None,
            0.3,
            Passed,
            Some(0.10),
            Source::Peers,
            1,
        ),
        (
            "zero incentive: a canary at zero against earning peers",
            vec![s(0, 0.0)],
            vec![s(1, 0.10), s(2, 0.11)],
            None,
            0.2,
            Regressed,
            Some(0.105),
            Source::Peers,
            2,
        ),
        (
            "zero incentive: all zero, before zero",
            vec![s(0, 0.0)],
            vec![s(1, 0.0), s(2, 0.0)],
            Some(0.0),
            0.2,
            Inconclusive,
            None,
            Source::None,
            0,
        ),
        (
            "zero incentive: zero peers, the canary's own figure before",
            vec![s(0, 0.0)],
            vec![s(1, 0.0)],
            Some(0.05),
            0.2,
            Regressed,
            Some(0.05),
            Source::CanaryBeforeUpdate,
            1,
        ),
        (
            "maxDrop 100% never regresses",
            vec![s(0, 0.0)],
            vec![s(1, 0.1)],
            None,
            1.0,
            Passed,
            Some(0.1),
            Source::Peers,
            1,
        ),
        (
            "immunity: immune peers are left out",
            vec![s(0, 0.09)],
            vec![immune(1, 0.01), immune(2, 0.02), s(3, 0.10)],
            None,
            0.2,
            Passed,
            Some(0.10),
            Source::Peers,
            1,
        ),
        (
            "immunity: only immune peers, the canary's own figure before",
            vec![s(0, 0.02)],
            vec![immune(1, 0.01)],
            Some(0.10),
            0.2,
            Regressed,
            Some(0.10),
            Source::CanaryBeforeUpdate,
            1,
        ),
        (
            "immunity: an immune canary is judged on its own figure before",
            vec![immune(0, 0.03)],
            vec![s(1, 0.10), s(2, 0.12)],
            Some(0.02),
            0.2,
            Passed,
            Some(0.02),
            Source::CanaryBeforeUpdate,
            1,
        ),
        (
            "immunity: an immune canary with nothing before",
            vec![immune(0, 0.03)],
            vec![s(1, 0.10)],
            None,
            0.2,
            Inconclusive,
            None,
            Source::None,
            0,
        ),
        (
            "two canaries: their median",
            vec![s(0, 0.04), s(1, 0.10)],
            vec![s(2, 0.10), s(3, 0.10)],
            None,
            0.2,
            Regressed,
            Some(0.10),
            Source::Peers,
            2,
        ),
        (
            "the metric is not in this chain read",
            vec![Sample {
                ordinal: 0,
                value: None,
                immune: false,
            }],
            vec![s(1, 0.1)],
            None,
            0.2,
            Unavailable,
            None,
            Source::None,
            0,
        ),
    ];
    for (name, canaries, peers, before, max_drop, outcome, baseline, source, n) in cases {
        let j = judge(&canaries, &peers, before, max_drop);
        assert_eq!(j.outcome, outcome, "{name}: {j:?}");
        match (j.baseline, baseline) {
            (Some(got), Some(want)) => assert!((got - want).abs() < 1e-12, "{name}: {j:?}"),
            (got, want) => assert_eq!(got, want, "{name}"),
        }
        assert_eq!((j.source, j.peers), (source, n), "{name}");
        assert!(!j.message.is_empty(), "{name}: says why");
    }
}

#[test]
fn the_message_gives_the_figures_and_what_was_left_out() {
    let j = judge(
        &[s(0, 0.05)],
        &[s(1, 0.10), immune(2, 0.01), s(3, 0.0)],
        None,
        0.2,
    );
    assert_eq!(j.outcome, Outcome::Regressed);
    assert_eq!(j.drop.map(percent).as_deref(), Some("50.0%"));
    for want in [
        "0.050000",
        "0.100000",
        "1 member(s)",
        "1 in immunity",
        "1 at zero",
        "50.0%",
        "20.0%",
    ] {
        assert!(j.message.contains(want), "{want} in {}", j.message);
    }
    let gained = judge(&[s(0, 0.12)], &[s(1, 0.10)], None, 0.2);
    assert_eq!(gained.drop.map(percent).as_deref(), Some("-20.0%"));
}
