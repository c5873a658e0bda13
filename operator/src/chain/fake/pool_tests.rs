//! The pool model against HEAD's swap rules, with figures worked out by hand.

use super::*;

const TAO: u64 = RAO_PER_TAO;

/// 4 TAO per alpha: 4000 TAO / 1000 alpha, HEAD's default fee.
fn four(fee_rate: u16) -> Reserves {
    Reserves {
        tao: 4000 * TAO,
        alpha: 1000 * TAO,
        stable: false,
        fee_rate,
    }
}

fn price(r: &Reserves) -> f64 {
    r.tao as f64 / r.alpha as f64
}

#[test]
fn a_buy_pays_the_fee_then_the_constant_product() {
    // No fee: 2 TAO buy exactly floor(1000 alpha × 2 / 4002) alpha.
    let s = four(0)
        .swap(Side::Buy, 2 * TAO, MAX_PRICE_RAO, true)
        .unwrap();
    let want = (1000u128 * TAO as u128 * 2 * TAO as u128 / (4002 * TAO as u128)) as u64;
    assert_eq!((s.paid_in, s.out, s.fee), (2 * TAO, want, 0));
    assert_eq!(want, 499_750_124);
    // HEAD's 33/65535: the fee (1_007_095 rao) comes off before the swap.
    let s = four(33)
        .swap(Side::Buy, 2 * TAO, MAX_PRICE_RAO, true)
        .unwrap();
    assert_eq!(s.fee, 1_007_095);
    assert_eq!(s.paid_in, 2 * TAO - 1_007_095);
    assert!(s.out < want && s.out > want - want / 1000, "{s:?}");
    // The fee-less swap of the block author's cut takes none.
    let s = four(33)
        .swap(Side::Buy, 2 * TAO, MAX_PRICE_RAO, false)
        .unwrap();
    assert_eq!((s.paid_in, s.fee), (2 * TAO, 0));
}

#[test]
fn the_price_must_be_short_of_the_limit() {
    let r = four(33);
    for limit in [3 * TAO, 4 * TAO] {
        assert_eq!(
            r.swap(Side::Buy, TAO, limit, true),
            Err(SwapError::PriceLimitExceeded),
            "buy at limit {limit}"
        );
        assert_eq!(
            r.max_in(Side::Buy, limit),
            Err(SwapError::PriceLimitExceeded)
        );
    }
    for limit in [5 * TAO, 4 * TAO] {
        assert_eq!(
            r.swap(Side::Sell, TAO, limit, true),
            Err(SwapError::PriceLimitExceeded),
            "sell at limit {limit}"
        );
        assert_eq!(
            r.max_in(Side::Sell, limit),
            Err(SwapError::PriceLimitExceeded)
        );
    }
}

#[test]
fn a_limited_order_fills_up_to_the_limit_price() {
    let r = four(33);
    // 1 % above 4 TAO per alpha: the TAO reserve may grow by about 0.5 % (sqrt(1.01) - 1).
    let limit = 4 * TAO + 4 * TAO / 100;
    let max = r.max_in(Side::Buy, limit).unwrap();
    assert!((19_900 * TAO / 1000..=20 * TAO).contains(&max), "{max}");
    // Asking for more fills only up to the limit; the fee is on what was swapped.
    let s = r.swap(Side::Buy, 100 * TAO, limit, true).unwrap();
    assert!(
        s.paid_in + s.fee <= max && max - (s.paid_in + s.fee) <= 1,
        "{s:?} {max}"
    );
    assert_eq!(s.fee, s.paid_in * 33 / (65535 - 33));
    let after = r.after(Side::Buy, &s);
    assert!(price(&after) <= limit as f64 / TAO as f64, "{after:?}");
    assert!(price(&after) > 4.0399, "{after:?}");
    // Asking for what the limit allows fills it all.
    let all = r.swap(Side::Buy, max, limit, true).unwrap();
    assert!(max.abs_diff(all.paid_in + all.fee) <= 2, "{all:?} {max}");
    // Selling: 1 % below, about 0.5 % of the alpha reserve.
    let limit = 4 * TAO - 4 * TAO / 100;
    let max = r.max_in(Side::Sell, limit).unwrap();
    assert!((5 * TAO..=6 * TAO).contains(&max), "{max}");
    let s = r.swap(Side::Sell, 100 * TAO, limit, true).unwrap();
    let after = r.after(Side::Sell, &s);
    assert!(price(&after) >= limit as f64 / TAO as f64, "{after:?}");
    // Selling back what was bought returns less than was paid.
    let bought = r.swap(Side::Buy, 2 * TAO, MAX_PRICE_RAO, true).unwrap();
    let next = r.after(Side::Buy, &bought);
    let back = next
        .swap(Side::Sell, bought.out, MIN_PRICE_RAO, true)
        .unwrap();
    assert!(back.out < 2 * TAO, "{back:?}");
}

#[test]
fn thin_reserves_and_oversized_inputs_are_refused() {
    let thin = Reserves {
        alpha: MINIMUM_RESERVE - 1,
        ..four(33)
    };
    assert_eq!(
        thin.swap(Side::Buy, TAO, MAX_PRICE_RAO, true),
        Err(SwapError::ReservesTooLow)
    );
    let small = Reserves {
        tao: 1_000_000,
        alpha: 1_000_000,
        stable: false,
        fee_rate: 0,
    };
    assert_eq!(
        small.swap(Side::Buy, 1_000_000 * 1000 + 1, MAX_PRICE_RAO, true),
        Err(SwapError::SwapInputTooLarge)
    );
    // An input too small to buy a single rao of alpha.
    let deep = Reserves {
        tao: 1000 * TAO,
        alpha: 2_000_000,
        stable: false,
        fee_rate: 0,
    };
    assert_eq!(
        deep.swap(Side::Buy, 10, MAX_PRICE_RAO, true),
        Err(SwapError::ReservesTooLow)
    );
}

#[test]
fn stable_pools_are_one_to_one_without_fee() {
    let r = Reserves {
        tao: 10 * TAO,
        alpha: 10 * TAO,
        stable: true,
        fee_rate: 33,
    };
    let s = r.swap(Side::Buy, 7 * TAO, TAO / 2, true).unwrap();
    assert_eq!((s.paid_in, s.out, s.fee), (7 * TAO, 7 * TAO, 0));
    let after = r.after(Side::Buy, &s);
    assert_eq!((after.tao, after.alpha), (17 * TAO, 3 * TAO));
    assert_eq!(r.max_in(Side::Buy, TAO), Ok(u64::MAX));
    assert_eq!(r.max_in(Side::Buy, TAO - 1), Ok(0));
    assert_eq!(r.max_in(Side::Sell, TAO), Ok(u64::MAX));
    assert_eq!(r.max_in(Side::Sell, TAO + 1), Ok(0));
    assert_eq!(r.fee(TAO), 0);
}
