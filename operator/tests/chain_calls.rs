//! Call choice and encoding against both runtime fixtures (indices, argument layout, proxy).

mod chain_fixtures;

use std::net::{IpAddr, Ipv4Addr};

use scale_info::{TypeDef, TypeDefPrimitive};
use subxt::ext::scale_value::Value;
use subxt::Metadata;
use subxt_signer::sr25519::dev;

use tensorfleet::chain::client::calls::{self, ProxyKind, RegisterPlan};
use tensorfleet::chain::{AccountId, Signer};

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

        for (call, idx) in [
            (calls::add_stake(3, &hk, 5_000_000), 2u8),
            (calls::remove_stake(3, &hk, 5_000_000), 3),
        ] {
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
        let inner = calls::add_stake(1, &hotkey(), 10);
        let inner_bytes = call_data(&at, &inner);
        for (kind, idx) in [(ProxyKind::Staking, 8u8), (ProxyKind::Registration, 9)] {
            let wrapped = calls::for_signer(inner.clone(), &signer, kind);
            // Proxy pallet 16, call 0; MultiAddress::Id; Some(ProxyType); the boxed call.
            let mut want = vec![16u8, 0, 0];
            want.extend(real.0);
            want.extend([1u8, idx]);
            want.extend(&inner_bytes);
            assert_eq!(call_data(&at, &wrapped), want, "{f} {kind:?}");
        }
        // A coldkey signs the call as is.
        let direct = calls::for_signer(
            inner.clone(),
            &Signer::Key(dev::alice()),
            ProxyKind::Staking,
        );
        assert_eq!(direct, inner);
    }
}

#[test]
fn serve_axon_refuses_what_the_chain_rejects_before_dispatch() {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    assert!(calls::serve_axon(1, 0, loopback, 8091).is_err());
    assert!(calls::serve_axon(1, 0, "0.0.0.0".parse().unwrap(), 8091).is_err());
    assert!(calls::serve_axon(1, 0, "::1".parse().unwrap(), 8091).is_err());
    assert!(calls::serve_axon(1, 0, "203.0.113.9".parse().unwrap(), 0).is_err());
    let v6 = calls::serve_axon(1, 0, "2001:db8::1".parse().unwrap(), 1).unwrap();
    assert!(v6.fields.contains(&("ip_type", Value::u128(6))));
}

/// Mainnet metadata with `register_limit` added (mainnet gained it after spec 393).
fn mainnet_with_register_limit() -> Metadata {
    let mut m = mainnet_v16();
    let pallet = m
        .pallets
        .iter()
        .find(|p| p.name == "SubtensorModule")
        .unwrap();
    let call_ty = pallet.calls.as_ref().unwrap().ty.id;
    let u64_ty = m
        .types
        .types
        .iter()
        .find(|t| matches!(t.ty.type_def, TypeDef::Primitive(TypeDefPrimitive::U64)))
        .unwrap()
        .id;
    let entry = m.types.types.iter_mut().find(|t| t.id == call_ty).unwrap();
    let TypeDef::Variant(v) = &mut entry.ty.type_def else {
        panic!("call enum")
    };
    let mut limit = v
        .variants
        .iter()
        .find(|v| v.name == "burned_register")
        .unwrap()
        .clone();
    limit.name = "register_limit".into();
    limit.index = 250;
    let mut field = limit.fields[0].clone();
    field.name = Some("limit_price".into());
    field.ty = u64_ty.into();
    limit.fields.push(field);
    v.variants.push(limit);
    Metadata::from_v16(m).unwrap()
}

#[test]
fn register_limit_is_chosen_and_encodes_the_cap() {
    let md = mainnet_with_register_limit();
    let hk = AccountId([5; 32]);
    let RegisterPlan::Atomic(call) = calls::register(&md, 12, &hk, 2_000_000_000) else {
        panic!("register_limit present: the cap must be atomic on chain");
    };
    let at = offline_at(md, 393);
    let bytes = call_data(&at, &call);
    let mut want = vec![7u8, 250];
    want.extend(12u16.to_le_bytes());
    want.extend(hk.0);
    want.extend(2_000_000_000u64.to_le_bytes());
    assert_eq!(bytes, want);
}
