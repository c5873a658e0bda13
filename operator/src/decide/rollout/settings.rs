//! `spec.rollout` resolved: defaults that depend on the role or the tempo, the metric, `maxDrop`
//! as a fraction, and every rule a stored value can break (field path, message). Pure.

use crate::api::{metric, Role, RolloutSpec, STRATEGY_CANARY, STRATEGY_ROLLING};

/// The chain figure a canary is judged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Incentive,
    Dividends,
    ValidatorTrust,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Incentive => metric::INCENTIVE,
            Metric::Dividends => metric::DIVIDENDS,
            Metric::ValidatorTrust => metric::VALIDATOR_TRUST,
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Metric::Incentive, Metric::Dividends, Metric::ValidatorTrust]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// What each role is judged on when `metric` is unset.
    pub fn default_for(role: Role) -> Self {
        match role {
            Role::Miner => Metric::Incentive,
            Role::Validator => Metric::Dividends,
        }
    }

    /// Miners earn incentive only; validators earn dividends and have validator trust.
    fn fits(self, role: Role) -> bool {
        (role == Role::Miner) == (self == Metric::Incentive)
    }

    /// The figure of one member (None: this chain read does not carry it).
    pub fn of(self, f: &Figures) -> Option<f64> {
        match self {
            Metric::Incentive => Some(f.incentive),
            Metric::Dividends => Some(f.dividends),
            Metric::ValidatorTrust => f.validator_trust,
        }
    }
}

/// A member's chain figures, u16-normalised to [0,1].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figures {
    pub incentive: f64,
    pub dividends: f64,
    pub validator_trust: Option<f64>,
}

/// Canary settings with every default applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub canary: u32,
    pub soak_tempos: u64,
    pub metric: Metric,
    /// `maxDrop` as a fraction (0.2 for "20%").
    pub max_drop: f64,
    /// `maxDrop` as written.
    pub max_drop_text: String,
    pub deadline_seconds: i64,
    window_blocks: Option<u64>,
    max_delay_blocks: Option<u64>,
}

impl Settings {
    /// Restart window in blocks: as set, else a tenth of the tempo (at least 3).
    pub fn window_blocks(&self, tempo: u16) -> u64 {
        self.window_blocks.unwrap_or((u64::from(tempo) / 10).max(3))
    }

    /// Longest wait for a restart window: as set, else one tempo + 1.
    pub fn max_delay_blocks(&self, tempo: u16) -> u64 {
        self.max_delay_blocks.unwrap_or(u64::from(tempo) + 1)
    }
}

/// `"20%"` → 0.2; None for anything that is not a percentage in [0, 100].
pub fn parse_percent(s: &str) -> Option<f64> {
    let n = s.strip_suffix('%')?;
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let ok = match n.split_once('.') {
        Some((i, f)) => digits(i) && digits(f),
        None => digits(n),
    };
    let v: f64 = n.parse().ok().filter(|_| ok)?;
    (0.0..=100.0).contains(&v).then_some(v / 100.0)
}

/// One broken rule: (field path under `spec.rollout`, message).
pub type Problem = (String, String);

/// The settings of a Canary rollout, or every problem of the spec. A RollingUpdate spec is
/// checked the same way (switching strategy must not reveal old mistakes).
pub fn resolve(spec: &RolloutSpec, role: Role) -> Result<Settings, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, field: &str, msg: String| {
        if !ok {
            problems.push((format!("spec.rollout.{field}"), msg));
        }
    };
    check(
        [STRATEGY_ROLLING, STRATEGY_CANARY].contains(&spec.strategy.as_str()),
        "strategy",
        format!("{:?} is not RollingUpdate or Canary", spec.strategy),
    );
    check(
        spec.canary >= 1,
        "canary",
        format!("must be at least 1, got {}", spec.canary),
    );
    check(
        spec.soak_tempos >= 1,
        "soakTempos",
        format!("must be at least 1, got {}", spec.soak_tempos),
    );
    let metric = match spec.metric.as_deref() {
        None => Some(Metric::default_for(role)),
        Some(s) => Metric::parse(s),
    };
    check(
        metric.is_some(),
        "metric",
        format!(
            "{:?} is not Incentive, Dividends or ValidatorTrust",
            spec.metric.as_deref().unwrap_or_default()
        ),
    );
    if let Some(m) = metric {
        check(
            m.fits(role),
            "metric",
            format!("{} does not fit a {}: miners are judged on Incentive, validators on Dividends or ValidatorTrust", m.as_str(), role.as_str()),
        );
    }
    let max_drop = parse_percent(&spec.max_drop);
    check(
        max_drop.is_some(),
        "maxDrop",
        format!(
            "{:?} is not a percentage from 0% to 100%, e.g. \"20%\"",
            spec.max_drop
        ),
    );
    check(
        spec.progress_deadline_seconds >= 1,
        "progressDeadlineSeconds",
        format!("must be at least 1, got {}", spec.progress_deadline_seconds),
    );
    let window = spec.restart_window_blocks;
    check(
        window.is_none_or(|w| w >= 1),
        "restartWindowBlocks",
        format!("must be at least 1, got {}", window.unwrap_or_default()),
    );
    let delay = spec.max_restart_delay_blocks;
    check(
        delay.is_none_or(|d| d >= 0),
        "maxRestartDelayBlocks",
        format!("must not be negative, got {}", delay.unwrap_or_default()),
    );
    match (metric, max_drop) {
        (Some(metric), Some(max_drop)) if problems.is_empty() => Ok(Settings {
            canary: spec.canary as u32,
            soak_tempos: spec.soak_tempos as u64,
            metric,
            max_drop,
            max_drop_text: spec.max_drop.clone(),
            deadline_seconds: spec.progress_deadline_seconds,
            window_blocks: window.map(|w| w as u64),
            max_delay_blocks: delay.map(|d| d as u64),
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> RolloutSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn percentages() {
        let cases = [
            ("20%", Some(0.2)),
            ("0%", Some(0.0)),
            ("100%", Some(1.0)),
            ("12.5%", Some(0.125)),
            ("20", None),
            ("101%", None),
            ("-5%", None),
            (".5%", None),
            ("5.%", None),
            ("%", None),
            ("1e1%", None),
            ("NaN%", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_percent(s), want, "{s}");
        }
    }

    #[test]
    fn defaults_follow_role_and_tempo() {
        let s = resolve(&spec("strategy: Canary"), Role::Miner).unwrap();
        assert_eq!(
            (s.canary, s.soak_tempos, s.metric),
            (1, 2, Metric::Incentive)
        );
        assert_eq!((s.max_drop, s.deadline_seconds), (0.2, 600));
        assert_eq!((s.window_blocks(360), s.max_delay_blocks(360)), (36, 361));
        assert_eq!(s.window_blocks(10), 3, "at least 3 blocks");
        let v = resolve(&spec("strategy: Canary"), Role::Validator).unwrap();
        assert_eq!(v.metric, Metric::Dividends);
        let set = resolve(
            &spec("{strategy: Canary, restartWindowBlocks: 5, maxRestartDelayBlocks: 0}"),
            Role::Miner,
        )
        .unwrap();
        assert_eq!((set.window_blocks(360), set.max_delay_blocks(360)), (5, 0));
    }

    #[test]
    fn every_broken_rule_names_its_field() {
        let cases = [
            ("strategy: canary", vec!["spec.rollout.strategy"]),
            ("{strategy: Canary, canary: 0}", vec!["spec.rollout.canary"]),
            ("{strategy: Canary, soakTempos: -1}", vec!["spec.rollout.soakTempos"]),
            ("{strategy: Canary, metric: Emission}", vec!["spec.rollout.metric"]),
            ("{strategy: Canary, metric: Dividends}", vec!["spec.rollout.metric"]),
            ("{strategy: Canary, maxDrop: '0.2'}", vec!["spec.rollout.maxDrop"]),
            ("{strategy: Canary, maxDrop: '150%'}", vec!["spec.rollout.maxDrop"]),
            (
                "{strategy: Canary, progressDeadlineSeconds: 0, restartWindowBlocks: 0, maxRestartDelayBlocks: -1}",
                vec![
                    "spec.rollout.progressDeadlineSeconds",
                    "spec.rollout.restartWindowBlocks",
                    "spec.rollout.maxRestartDelayBlocks",
                ],
            ),
            ("{strategy: RollingUpdate, canary: 0}", vec!["spec.rollout.canary"]),
        ];
        for (yaml, want) in cases {
            let got: Vec<String> = resolve(&spec(yaml), Role::Miner)
                .unwrap_err()
                .into_iter()
                .map(|p| p.0)
                .collect();
            assert_eq!(got, want, "{yaml}");
        }
        let v = resolve(
            &spec("{strategy: Canary, metric: Incentive}"),
            Role::Validator,
        );
        assert!(v.unwrap_err()[0].1.contains("does not fit a validator"));
        let ok = resolve(
            &spec("{strategy: Canary, metric: ValidatorTrust}"),
            Role::Validator,
        );
        assert_eq!(ok.unwrap().metric, Metric::ValidatorTrust);
    }

    #[test]
    fn metric_reads_its_figure() {
        let f = Figures {
            incentive: 0.1,
            dividends: 0.2,
            validator_trust: None,
        };
        assert_eq!(Metric::Incentive.of(&f), Some(0.1));
        assert_eq!(Metric::Dividends.of(&f), Some(0.2));
        assert_eq!(Metric::ValidatorTrust.of(&f), None, "not in this read");
    }
}
