//! Pure inputs of the registration decision: the cap, and the pauses after failed registrations
//! (a failing extrinsic still pays its fee, so never retry in a loop). Records come from the
//! ledger (`decide::ledger::registration_records`).

use crate::api::{RegistrationRecord, Tao};
use crate::decide::spend_failure::{classify, SpendFailure};
use jiff::{SignedDuration, Timestamp};

/// min(Neuron cap, Subnet cap), rao.
pub fn cap_rao(neuron_cap: Option<&Tao>, subnet_cap: &Tao) -> Result<u64, String> {
    let parse = |t: &Tao, field: &str| t.to_rao().map_err(|e| format!("{field}: {}", e.0));
    let subnet = parse(subnet_cap, "Subnet spec.registration.maxBurnTao")?;
    match neuron_cap {
        Some(n) => Ok(parse(n, "spec.registration.maxBurnTao")?.min(subnet)),
        None => Ok(subnet),
    }
}

/// The tighter of two optional limits.
pub fn min_budget(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// First pause after a failed registration; doubles per consecutive failure, up to an hour.
const FAILURE_PAUSE: SignedDuration = SignedDuration::from_secs(60);
const MAX_PAUSE: SignedDuration = SignedDuration::from_hours(1);

/// Ended without reaching a block: paid nothing, says nothing about the chain's rules.
fn never_included(result: &str) -> bool {
    result == "Expired" || result == "NonceUsedElsewhere"
}

/// Outcomes that paid a fee without registering. A burn that rose past the limit by inclusion
/// is no failure of ours: see [`price_pause`].
fn failed(result: &str) -> bool {
    !result.starts_with("Success") && !never_included(result) && !price_limited(result)
}

fn price_limited(result: &str) -> bool {
    classify(result) == SpendFailure::PriceLimit
}

/// After `RegistrationPriceLimitExceeded` (fee paid, nothing burned), a short wait so that a
/// burn moving every block is read again before the next attempt, without the growing pause
/// of real failures.
pub const PRICE_PAUSE: SignedDuration = SignedDuration::from_secs(30);

/// Until when to wait after the last record, if it is a price-limit failure.
pub fn price_pause(records: &[RegistrationRecord]) -> Option<Timestamp> {
    let last = records.iter().rev().find(|r| !never_included(&r.result))?;
    let at: Timestamp = last.at.as_deref()?.parse().ok()?;
    price_limited(&last.result).then_some(at + PRICE_PAUSE)
}

/// Until when a new registration must wait after the trailing run of failures, if at all.
pub fn retry_after_failures(records: &[RegistrationRecord]) -> Option<(u32, Timestamp)> {
    failure_backoff(records.iter().map(|r| (r.result.as_str(), r.at.as_deref())))
}

/// The same pause for any spend, from its outcomes `(result, at)`, oldest first: every failed
/// stake operation on a real chain paid a fee, so failures never repeat at reconcile speed.
pub fn failure_backoff<'a>(
    outcomes: impl DoubleEndedIterator<Item = (&'a str, Option<&'a str>)>,
) -> Option<(u32, Timestamp)> {
    backoff(outcomes, false)
}

/// [`failure_backoff`] for stake operations, where a price-limit refusal counts as a failure:
/// unlike the burn, which decays back under a cap by itself, a pool price that keeps running
/// past the bound would otherwise cost a fee every short pause, and from the ledger the pause
/// also holds across an operator restart.
pub fn stake_failure_backoff<'a>(
    outcomes: impl DoubleEndedIterator<Item = (&'a str, Option<&'a str>)>,
) -> Option<(u32, Timestamp)> {
    backoff(outcomes, true)
}

fn backoff<'a>(
    outcomes: impl DoubleEndedIterator<Item = (&'a str, Option<&'a str>)>,
    price_limit_fails: bool,
) -> Option<(u32, Timestamp)> {
    let counts = |r: &str| price_limit_fails || !price_limited(r);
    let run: Vec<(&str, Option<&str>)> = outcomes
        .rev()
        .filter(|(r, _)| !never_included(r) && counts(r))
        .take_while(|(r, _)| failed(r) || (price_limit_fails && price_limited(r)))
        .collect();
    let last = run.first()?;
    let at: Timestamp = last.1?.parse().ok()?;
    let n = run.len() as u32;
    let pause = (FAILURE_PAUSE * 2i32.pow((n - 1).min(10))).min(MAX_PAUSE);
    Some((n, at + pause))
}

#[cfg(test)]
mod tests {
    use super::*;
    const TAO: u64 = 1_000_000_000;

    fn rec(result: &str, paid: u64, at: &str) -> RegistrationRecord {
        RegistrationRecord {
            result: result.into(),
            paid_rao: paid,
            at: Some(at.into()),
            ..Default::default()
        }
    }

    #[test]
    fn stake_failures_pause_like_registrations() {
        let t = "2026-11-22T12:00:00Z";
        let outcomes = [
            ("Success", Some(t)),
            ("AmountTooLow", Some(t)),
            ("AmountTooLow", Some(t)),
        ];
        let (n, until) = failure_backoff(outcomes.iter().copied()).unwrap();
        let at: Timestamp = t.parse().unwrap();
        assert_eq!((n, until), (2, at + FAILURE_PAUSE * 2));
        let recovered = [("AmountTooLow", Some(t)), ("Success", Some(t))];
        assert_eq!(failure_backoff(recovered.iter().copied()), None);
        let price = [("AmountTooLow", Some(t)), ("PriceLimitExceeded", Some(t))];
        assert_eq!(failure_backoff(price.iter().copied()).map(|r| r.0), Some(1));
    }

    #[test]
    fn a_stake_refused_for_its_price_limit_pauses_like_a_failure() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let (t0, t1) = ("2026-11-22T12:00:00Z", "2026-11-22T12:05:00Z");
        // (outcomes oldest first, expected (failures in a row, until))
        let cases = [
            (
                vec![("Success", t0), ("PriceLimitExceeded", t1)],
                Some((1, t("2026-11-22T12:06:00Z"))),
            ),
            (
                vec![("PriceLimitExceeded", t0), ("PriceLimitExceeded", t1)],
                Some((2, t("2026-11-22T12:07:00Z"))),
            ),
            (
                vec![("AmountTooLow", t0), ("PriceLimitExceeded", t1)],
                Some((2, t("2026-11-22T12:07:00Z"))),
            ),
            // never reached a block: neither counts nor ends the run
            (
                vec![("PriceLimitExceeded", t0), ("Expired", t1)],
                Some((1, t("2026-11-22T12:01:00Z"))),
            ),
            (vec![("PriceLimitExceeded", t0), ("Success", t1)], None),
        ];
        for (outcomes, want) in cases {
            let it = outcomes.iter().map(|(r, at)| (*r, Some(*at)));
            assert_eq!(stake_failure_backoff(it), want, "{outcomes:?}");
        }
        // registrations keep their own short price pause (`price_pause`)
        let reg = [("RegistrationPriceLimitExceeded", Some(t1))];
        assert_eq!(failure_backoff(reg.iter().copied()), None);
    }

    #[test]
    fn caps() {
        let cases = [
            (Some("0.5"), "1", Ok(TAO / 2)),
            (Some("2"), "1", Ok(TAO)),
            (None, "1", Ok(TAO)),
            (Some("x"), "1", Err("spec.registration.maxBurnTao")),
            (None, "-1", Err("Subnet spec.registration.maxBurnTao")),
        ];
        for (n, s, want) in cases {
            let got = cap_rao(n.map(Tao::from).as_ref(), &Tao::from(s));
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w, "{n:?} {s}"),
                (Err(g), Err(w)) => assert!(g.starts_with(w), "{g}"),
                (g, w) => panic!("{n:?} {s}: {g:?} vs {w:?}"),
            }
        }
    }

    #[test]
    fn tighter_limits() {
        assert_eq!(min_budget(Some(3), Some(2)), Some(2));
        assert_eq!(min_budget(None, Some(2)), Some(2));
        assert_eq!(min_budget(Some(3), None), Some(3));
        assert_eq!(min_budget(None, None), None);
    }

    #[test]
    fn failure_pause() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let cases = [
            ("none", vec![], None),
            (
                "success last",
                vec![
                    rec("TooManyRegistrationsThisBlock", 0, "2026-11-22T10:00:00Z"),
                    rec("Success", 1, "2026-11-22T10:01:00Z"),
                ],
                None,
            ),
            (
                "one failure",
                vec![rec("NotEnoughBalanceToStake", 0, "2026-11-22T10:00:00Z")],
                Some((1, t("2026-11-22T10:01:00Z"))),
            ),
            (
                "two failures, an expiry between does not reset",
                vec![
                    rec("X", 0, "2026-11-22T10:00:00Z"),
                    rec("Expired", 0, "2026-11-22T10:05:00Z"),
                    rec("X", 0, "2026-11-22T10:10:00Z"),
                ],
                Some((2, t("2026-11-22T10:12:00Z"))),
            ),
            (
                "expired only",
                vec![rec("Expired", 0, "2026-11-22T10:00:00Z")],
                None,
            ),
            (
                "a price-limit refusal neither counts nor ends the run",
                vec![
                    rec("X", 0, "2026-11-22T10:00:00Z"),
                    rec("RegistrationPriceLimitExceeded", 0, "2026-11-22T10:05:00Z"),
                ],
                Some((1, t("2026-11-22T10:01:00Z"))),
            ),
        ];
        for (name, recs, want) in cases {
            assert_eq!(retry_after_failures(&recs), want, "{name}");
        }
    }

    #[test]
    fn a_price_limit_refusal_pauses_briefly() {
        let price = rec("RegistrationPriceLimitExceeded", 0, "2026-11-22T10:00:00Z");
        let want: Timestamp = "2026-11-22T10:00:30Z".parse().unwrap();
        assert_eq!(price_pause(std::slice::from_ref(&price)), Some(want));
        let later = rec("Success", 1, "2026-11-22T10:01:00Z");
        assert_eq!(price_pause(&[price, later]), None);
        assert_eq!(price_pause(&[]), None);
    }
}
