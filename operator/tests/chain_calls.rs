//! Call choice and encoding against both runtime fixtures (indices, argument layout, proxy).

mod chain_fixtures;

use std::net::{IpAddr, Ipv4Addr};

use subxt::ext::scale_value::Value;
use subxt_signer::sr25519::dev;

use tensorfleet::chain::client::calls::{self, RegisterPlan, StakePlan};
use tensorfleet::chain::{AccountId, PriceLimit, Signer};

use chain_fixtures::*;

#[test]
fn calls_encode_with_pallet_and_call_indices_and_argument_layout() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let hk = hotkey();
        // SubtensorModule is pallet 7 on both runtimes.
        let RegisterPlan::CheckBurnFirst(reg) = calls::register(at.metadata_ref(), 3, &hk, 1)
        else {
            panic!("{f}: neither fixture has register_limit");
        };
        let mut want = vec![7u8, 7];
        want.extend(3u16.to_le_bytes());
        want.extend(hk.0);
        assert_eq!(call_data(&at, &reg), want, "{f} burned_register");

        let md = at.metadata();
        for (plan, idx) in [
            (calls::add_stake(&md, 3, &hk, 5_000_000, None), 2u8),
            (calls::remove_stake(&md, 3, &hk, 5_000_000, None), 3),
        ] {
            let StakePlan::Atomic(call) = plan else {
                panic!("{f}: no limit asked, the plain call")
            };
            let mut want = vec![7u8, idx];
            want.extend(hk.0);
            want.extend(3u16.to_le_bytes());
            want.extend(5_000_000u64.to_le_bytes());
            assert_eq!(call_data(&at, &call), want, "{f} {}", call.call);
        }

        let ip = Ipv4Addr::new(203, 0, 113, 7);
        let axon = calls::serve_axon(3, 7, IpAddr::V4(ip), 8091).unwrap();
        let mut want = vec![7u8, 4];
        want.extend(3u16.to_le_bytes());
        want.extend(7u32.to_le_bytes());
        want.extend(u128::from(u32::from(ip)).to_le_bytes());
        want.extend(8091u16.to_le_bytes());
        want.extend([4u8, 4, 0, 0]);
        assert_eq!(call_data(&at, &axon), want, "{f} serve_axon");
    }
}

#[test]
fn proxy_wraps_the_call_with_real_and_proxy_type() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let real = AccountId(dev::alice().public_key().0);
        let signer = Signer::Proxy {
            proxy: dev::charlie(),
            real,
        };
        let StakePlan::Atomic(inner) = calls::add_stake(&at.metadata(), 1, &hotkey(), 10, None)
        else {
            panic!()
        };
        let inner_bytes = call_data(&at, &inner);
        for (kind, idx) in [("Staking", 8u8), ("Registration", 9), ("Any", 0)] {
            let wrapped = calls::for_signer(inner.clone(), &signer, kind);
            // Proxy pallet 16, call 0; MultiAddress::Id; Some(ProxyType); the boxed call.
            let mut want = vec![16u8, 0, 0];
            want.extend(real.0);
            want.extend([1u8, idx]);
            want.extend(&inner_bytes);
            assert_eq!(call_data(&at, &wrapped), want, "{f} {kind:?}");
        }
        // A coldkey signs the call as is.
        let direct = calls::for_signer(inner.clone(), &Signer::Key(dev::alice()), "Staking");
        assert_eq!(direct, inner);
    }
}

#[test]
fn serve_axon_refuses_exactly_what_the_chain_refuses() {
    // HEAD `subnets/serving.rs:248-277`: 127.0.0.1, 255.255.255.255, ::1, all-ones, port 0.
    for ip in [
        "127.0.0.1",
        "255.255.255.255",
        "::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ] {
        assert!(
            calls::serve_axon(1, 0, ip.parse().unwrap(), 8091).is_err(),
            "{ip}"
        );
    }
    assert!(calls::serve_axon(1, 0, "203.0.113.9".parse().unwrap(), 0).is_err());
    // Everything else passes, other loopback and private addresses and 0 ("for testing") too.
    for ip in [
        "127.0.0.2",
        "10.0.0.5",
        "192.168.1.1",
        "0.0.0.0",
        "203.0.113.9",
        "fd00::1",
    ] {
        assert!(
            calls::serve_axon(1, 0, ip.parse().unwrap(), 8091).is_ok(),
            "{ip}"
        );
    }
    let v6 = calls::serve_axon(1, 0, "2001:db8::1".parse().unwrap(), 1).unwrap();
    assert!(v6.fields.contains(&("ip_type", Value::u128(6))));
}

#[test]
fn stake_limits_use_the_limit_calls_where_the_runtime_has_them() {
    let limit = PriceLimit {
        limit_price_rao: 4_040_000_000,
        allow_partial: false,
    };
    let hk = hotkey();
    // Spec 393 has add_stake_limit (88) and remove_stake_limit (89): the chain enforces it.
    let at = offline_at(metadata(MAINNET.0), MAINNET.1);
    let md = at.metadata();
    for (plan, idx) in [
        (
            calls::add_stake(&md, 3, &hk, 2_000_000_000, Some(limit)),
            88u8,
        ),
        (
            calls::remove_stake(&md, 3, &hk, 2_000_000_000, Some(limit)),
            89,
        ),
    ] {
        let StakePlan::Atomic(call) = plan else {
            panic!("393 has the limit calls")
        };
        let mut want = vec![7u8, idx];
        want.extend(hk.0);
        want.extend(3u16.to_le_bytes());
        want.extend(2_000_000_000u64.to_le_bytes());
        want.extend(4_040_000_000u64.to_le_bytes());
        want.push(0); // allow_partial: false
        assert_eq!(call_data(&at, &call), want, "{}", call.call);
    }
    // Spec 218 has neither: the plain call, with the price to check before signing.
    let md218 = metadata(DEVNET.0);
    let plan = calls::add_stake(&md218, 3, &hk, 2_000_000_000, Some(limit));
    assert!(
        matches!(&plan, StakePlan::CheckPriceFirst(c, l) if c.call == "add_stake" && *l == limit),
        "{plan:?}"
    );
}
#[test]
fn register_limit_is_chosen_and_encodes_the_cap() {
    let md = head::head_like();
    let hk = AccountId([5; 32]);
    let RegisterPlan::Atomic(call) = calls::register(&md, 12, &hk, 2_000_000_000) else {
        panic!("register_limit present: the cap must be atomic on chain");
    };
    let at = offline_at(md, 393);
    let bytes = call_data(&at, &call);
    let mut want = vec![7u8, head::REGISTER_LIMIT_INDEX];
    want.extend(12u16.to_le_bytes());
    want.extend(hk.0);
    want.extend(2_000_000_000u64.to_le_bytes());
    assert_eq!(bytes, want);
}

#[test]
fn swap_hotkey_takes_the_arguments_each_runtime_declares() {
    let (old, new) = (hotkey(), AccountId(dev::charlie().public_key().0));
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let md = at.metadata();
        let pallet = md.pallet_by_name("SubtensorModule").unwrap();
        let names = |call: &str| -> Vec<String> {
            let v = pallet.call_variant_by_name(call).unwrap();
            v.fields.iter().map(|x| x.name.clone().unwrap()).collect()
        };
        // The event a swap emits names the coldkey and both hotkeys on both runtimes.
        let events = pallet.event_variants().unwrap();
        let ev = events.iter().find(|v| v.name == "HotkeySwapped").unwrap();
        let ev: Vec<_> = ev.fields.iter().map(|x| x.name.clone().unwrap()).collect();
        assert_eq!(ev, ["coldkey", "old_hotkey", "new_hotkey"], "{f}");
        let all = calls::swap_hotkey(&md, &old, &new, None).unwrap();
        let one = calls::swap_hotkey(&md, &old, &new, Some(3));
        let mut want = vec![7u8];
        if spec == 218 {
            // Spec 218: swap_hotkey(hotkey, new_hotkey), always on every subnet.
            assert_eq!(names("swap_hotkey"), ["hotkey", "new_hotkey"]);
            assert!(pallet.call_variant_by_name("swap_hotkey_v2").is_none());
            assert!(one.is_err(), "{f}: no swap on one subnet");
            want.push(pallet.call_variant_by_name("swap_hotkey").unwrap().index);
            want.extend(old.0);
            want.extend(new.0);
        } else {
            let v2 = ["hotkey", "new_hotkey", "netuid", "keep_stake"];
            assert_eq!(names("swap_hotkey_v2"), v2, "{f}");
            assert_eq!(
                names("swap_hotkey"),
                ["hotkey", "new_hotkey", "netuid"],
                "{f}"
            );
            want.push(pallet.call_variant_by_name("swap_hotkey_v2").unwrap().index);
            want.extend(old.0);
            want.extend(new.0);
            let mut on_one = want.clone();
            on_one.push(1);
            on_one.extend(3u16.to_le_bytes());
            on_one.push(0);
            assert_eq!(call_data(&at, &one.unwrap()), on_one, "{f} one subnet");
            // netuid None, keep_stake false.
            want.extend([0u8, 0]);
        }
        assert_eq!(call_data(&at, &all), want, "{f} all subnets");
    }
}
