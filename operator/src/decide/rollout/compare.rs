//! The canary comparison: the canaries' figure against the median of comparable members not yet
//! updated, read at one block. Pure.
//!
//! Which members are comparable is the whole difficulty:
//! - A peer still in immunity was registered recently: its figure is still climbing (validators
//!   have scored it for a few tempos only), so it would drag the baseline down. Left out.
//! - A peer at exactly zero earns nothing for reasons of its own (not served, not yet scored,
//!   about to be pruned): it says nothing about what this release should reach. Left out.
//! - A canary still in immunity cannot be compared with mature peers (its figure is climbing
//!   too): it is compared with its own figure before the update instead.
//! - Without any comparable peer (a set of one, every peer immune or at zero) the baseline is
//!   the canaries' own figure before the update, when that was above zero.
//! - With no baseline at all the verdict is Inconclusive: the caller lets the rollout proceed
//!   and says so, rather than blocking a fleet that cannot be judged.
//!
//! A canary that fell off the chain (deregistered) counts as 0; a figure the chain read does
//! not carry (validator trust from `get_metagraph`) makes the comparison Unavailable.

/// One member's figure at the comparison block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub ordinal: i32,
    /// None: the chain read does not carry this metric.
    pub value: Option<f64>,
    pub immune: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Regressed,
    Inconclusive,
    Unavailable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Peers,
    CanaryBeforeUpdate,
    None,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Peers => "Peers",
            Source::CanaryBeforeUpdate => "CanaryBeforeUpdate",
            Source::None => "None",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    pub outcome: Outcome,
    /// Median figure of the canaries.
    pub canary: Option<f64>,
    pub baseline: Option<f64>,
    pub source: Source,
    /// Members the baseline is the median of (1 for the canaries' own figure).
    pub peers: u32,
    /// Relative drop, (baseline − canary) / baseline; negative when the canary gained.
    pub drop: Option<f64>,
    pub message: String,
}

/// Median of finite values (None for none).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Judges `canaries` against `peers` (members on the previous revision, registered and Ready,
/// chosen by the caller). `before` is the canaries' median figure before their update.
pub fn judge(
    canaries: &[Sample],
    peers: &[Sample],
    before: Option<f64>,
    max_drop: f64,
) -> Judgement {
    let unavailable = canaries.iter().any(|c| c.value.is_none());
    let canary_values: Vec<f64> = canaries.iter().filter_map(|c| c.value).collect();
    let canary = median(&canary_values);
    let mut j = Judgement {
        outcome: Outcome::Inconclusive,
        canary,
        baseline: None,
        source: Source::None,
        peers: 0,
        drop: None,
        message: String::new(),
    };
    if unavailable || canaries.is_empty() {
        j.outcome = Outcome::Unavailable;
        j.message = "the chain read does not carry this figure for the canary".into();
        return j;
    }
    let canary = canary.unwrap_or(0.0);
    let canary_immune = canaries.iter().any(|c| c.immune);
    let mut left_out = Vec::new();
    let usable: Vec<f64> = if canary_immune {
        left_out.push("every peer: a canary is still in immunity".to_string());
        Vec::new()
    } else {
        let immune = peers.iter().filter(|p| p.immune).count();
        let zero = peers
            .iter()
            .filter(|p| !p.immune && p.value == Some(0.0))
            .count();
        if immune > 0 {
            left_out.push(format!("{immune} in immunity"));
        }
        if zero > 0 {
            left_out.push(format!("{zero} at zero"));
        }
        peers
            .iter()
            .filter(|p| !p.immune)
            .filter_map(|p| p.value)
            .filter(|v| *v > 0.0)
            .collect()
    };
    let (baseline, source, n) = match (median(&usable), before.filter(|b| *b > 0.0)) {
        (Some(m), _) => (m, Source::Peers, usable.len() as u32),
        (None, Some(b)) => (b, Source::CanaryBeforeUpdate, 1),
        (None, None) => {
            j.message = format!(
                "no baseline: no comparable member on the previous revision{} and no figure above zero before the update",
                excluded(&left_out)
            );
            return j;
        }
    };
    let drop = (baseline - canary) / baseline;
    j.baseline = Some(baseline);
    j.source = source;
    j.peers = n;
    j.drop = Some(drop);
    // The epsilon keeps "exactly maxDrop" a pass despite u16 rounding of the figures.
    j.outcome = if drop > max_drop + 1e-9 {
        Outcome::Regressed
    } else {
        Outcome::Passed
    };
    let against = match source {
        Source::Peers => {
            format!("the median {baseline:.6} of {n} member(s) on the previous revision")
        }
        _ => format!("its own {baseline:.6} before the update"),
    };
    j.message = format!(
        "canary {canary:.6} against {against}{}: drop {} (maxDrop {})",
        excluded(&left_out),
        percent(drop),
        percent(max_drop)
    );
    j
}

fn excluded(left_out: &[String]) -> String {
    if left_out.is_empty() {
        String::new()
    } else {
        format!(" (left out: {})", left_out.join(", "))
    }
}

/// 0.385 → "38.5%".
pub fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
