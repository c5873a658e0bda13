//! Stake intent resolution and the daily cap, table-driven.

use super::*;

#[test]
fn resolution_table() {
    let i = StakeIntent {
        amount_rao: 5,
        stake_before_rao: 100,
        nonce: 3,
        mortal_until_block: 64,
        ..Default::default()
    };
    let cases = [
        ("pending", 10, 3, 100, None),
        (
            "included, stake moved",
            10,
            4,
            105,
            Some(("SuccessResolved", 5)),
        ),
        (
            "nonce used elsewhere",
            10,
            4,
            100,
            Some(("NonceUsedNoChange", 0)),
        ),
        ("window over", 65, 3, 100, Some(("Expired", 0))),
    ];
    for (name, head, nonce, stake, want) in cases {
        assert_eq!(resolve_stake(&i, head, nonce, stake), want, "{name}");
    }
}

#[test]
fn added_in_the_last_day() {
    let now: Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
    let op = |kind, amount, result: &str, at: &str| StakeRecord {
        kind,
        amount_rao: amount,
        result: result.into(),
        at: Some(at.into()),
        ..Default::default()
    };
    let ops = [
        op(StakeKind::Add, 1, "Success", "2026-11-22T11:00:00Z"),
        op(StakeKind::Add, 10, "Success", "2026-11-21T11:00:00Z"), // a day ago
        op(StakeKind::Add, 100, "AmountTooLow", "2026-11-22T11:00:00Z"),
        op(StakeKind::Remove, 1000, "Success", "2026-11-22T11:00:00Z"),
        op(
            StakeKind::Add,
            10000,
            "SuccessResolved",
            "2026-11-22T11:30:00Z",
        ),
    ];
    assert_eq!(added_last_24h(&ops, now), 10001);
}
