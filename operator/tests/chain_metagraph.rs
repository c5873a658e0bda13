//! `SubnetInfoRuntimeApi_get_metagraph` results encoded with each runtime's own type, decoded
//! by field name: spec 393's layout (full vectors) and HEAD's (spec 425: empty `trust`, `rank`
//! and `pruning_score`, `activity_cutoff` a `Compact<u64>`; `rpc_info/metagraph.rs:57,751,
//! 772-773`).

mod chain_fixtures;

use scale_info::TypeDef;
use subxt::ext::scale_encode::EncodeAsType;
use subxt::ext::scale_value::{Composite, Value};
use subxt::Metadata;

use tensorfleet::chain::client::metagraph::{decode_metagraph, Metagraph, METAGRAPH, SUBNET_API};
use tensorfleet::chain::AccountId;

use chain_fixtures::values::{list, set, zero};
use chain_fixtures::*;

/// The declared output type of `get_metagraph` and the id of `Metagraph` inside its Option.
fn types(md: &Metadata) -> (u32, u32) {
    let out = md
        .runtime_api_trait_by_name(SUBNET_API)
        .unwrap()
        .method_by_name(METAGRAPH)
        .unwrap()
        .output_ty();
    let TypeDef::Variant(opt) = &md.types().resolve(out).unwrap().type_def else {
        panic!("Option")
    };
    let some = opt.variants.iter().find(|v| v.name == "Some").unwrap();
    (out, some.fields[0].ty.id)
}

/// A two-uid metagraph; `per_uid` overrides vectors (name, values).
fn metagraph(md: &Metadata, per_uid: &[(&str, Vec<u128>)], activity_cutoff: u128) -> Value {
    let (_, inner) = types(md);
    let mut m = zero(inner, md.types());
    let u = Value::u128;
    for (k, v) in [
        ("tempo", 360u128),
        ("num_uids", 2),
        ("max_uids", 256),
        ("burn", 1_000_000_000),
        ("min_burn", 500_000),
        ("max_burn", 100_000_000_000),
        ("immunity_period", 5000),
        ("serving_rate_limit", 50),
        ("difficulty", 7),
        ("activity_cutoff", activity_cutoff),
        ("weights_rate_limit", 100),
        ("weights_version", 3),
        ("network_registered_at", 4_800_000),
        ("tao_in", 4_000_000_000_000),
        ("alpha_in", 1_000_000_000_000),
    ] {
        set(&mut m, k, u(v));
    }
    set(&mut m, "registration_allowed", Value::bool(true));
    set(&mut m, "commit_reveal_weights_enabled", Value::bool(true));
    set(
        &mut m,
        "hotkeys",
        list([Value::from_bytes([1u8; 32]), Value::from_bytes([2u8; 32])]),
    );
    set(
        &mut m,
        "coldkeys",
        list([Value::from_bytes([9u8; 32]), Value::from_bytes([9u8; 32])]),
    );
    let axon = |ip: u128| {
        Value::named_composite([
            ("block", u(5)),
            ("version", u(1)),
            ("ip", u(ip)),
            ("port", u(8091)),
            ("ip_type", u(4)),
            ("protocol", u(4)),
            ("placeholder1", u(0)),
            ("placeholder2", u(0)),
        ])
    };
    set(&mut m, "axons", list([axon(0xC633_6404), axon(0)]));
    set(
        &mut m,
        "active",
        list([Value::bool(true), Value::bool(false)]),
    );
    set(
        &mut m,
        "validator_permit",
        list([Value::bool(false), Value::bool(true)]),
    );
    let defaults: [(&str, Vec<u128>); 10] = [
        ("last_update", vec![100, 200]),
        ("emission", vec![10, 20]),
        ("dividends", vec![0, 65535]),
        ("incentives", vec![65535, 0]),
        ("consensus", vec![0, 0]),
        ("trust", vec![0, 0]),
        ("rank", vec![0, 0]),
        ("pruning_score", vec![0, 0]),
        ("block_at_registration", vec![1234, 5678]),
        ("alpha_stake", vec![42, 43]),
    ];
    for (k, v) in defaults {
        let v = per_uid
            .iter()
            .find(|(n, _)| *n == k)
            .map_or(v, |(_, o)| o.clone());
        set(&mut m, k, list(v.into_iter().map(u)));
    }
    m
}

fn encode(md: &Metadata, m: Value) -> Vec<u8> {
    let (out, _) = types(md);
    Value::variant("Some", Composite::unnamed([m]))
        .encode_as_type(out, md.types())
        .unwrap()
}

fn decode(md: &Metadata, bytes: &[u8]) -> Metagraph {
    let (out, _) = types(md);
    decode_metagraph(bytes, out, md.types()).unwrap().unwrap()
}

fn check_common(m: &Metagraph) {
    let (p, ns) = (&m.params, &m.neurons);
    assert_eq!(
        (p.tempo, p.subnetwork_n, p.max_allowed_uids, p.burn),
        (360, 2, 256, 1_000_000_000)
    );
    assert_eq!(
        (
            p.min_burn,
            p.max_burn,
            p.immunity_period,
            p.serving_rate_limit,
            p.difficulty
        ),
        (500_000, 100_000_000_000, 5000, 50, 7)
    );
    assert_eq!(
        (
            p.weights_rate_limit,
            p.weights_version,
            p.network_registered_at
        ),
        (100, 3, 4_800_000)
    );
    assert!(p.registration_allowed && p.commit_reveal_enabled);
    assert_eq!(m.reserves, Some((4_000_000_000_000, 1_000_000_000_000)));
    assert_eq!(ns.len(), 2);
    assert_eq!(
        (ns[0].uid, ns[0].hotkey, ns[0].coldkey),
        (0, AccountId([1; 32]), AccountId([9; 32]))
    );
    assert_eq!((ns[1].uid, ns[1].hotkey), (1, AccountId([2; 32])));
    assert_eq!(
        ns[0].axon.as_ref().unwrap().ip,
        "198.51.100.4".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(ns[1].axon, None);
    assert_eq!(
        (ns[0].registered_at_block, ns[1].registered_at_block),
        (1234, 5678)
    );
    assert_eq!(
        (ns[0].stake, ns[1].stake, ns[1].emission, ns[1].last_update),
        (42, 43, 20, 200)
    );
    assert_eq!((ns[0].incentive, ns[1].dividends), (1.0, 1.0));
    assert!(ns[1].validator_permit && ns[0].active && !ns[1].active);
}

#[test]
fn metagraph_decodes_the_spec_393_layout() {
    let md = metadata(MAINNET.0);
    let m = decode(&md, &encode(&md, metagraph(&md, &[], 5000)));
    check_common(&m);
    assert_eq!(m.params.activity_cutoff, 5000);
    assert!(m.defaulted.is_empty(), "{:?}", m.defaulted);
    // None: the subnet does not exist.
    let (out, _) = types(&md);
    let none = Value::variant("None", Composite::unnamed([]))
        .encode_as_type(out, md.types())
        .unwrap();
    assert!(decode_metagraph(&none, out, md.types()).unwrap().is_none());
}

#[test]
fn metagraph_decodes_heads_layout_with_empty_deprecated_vectors() {
    let md = head::head_like();
    // Since 397 trust, rank and pruning_score are Vec::new(); since 423 the cutoff is a
    // Compact<u64> that can pass u16 (50 000‰ × 50 400 blocks at most).
    let empty = [
        ("trust", vec![]),
        ("rank", vec![]),
        ("pruning_score", vec![]),
    ];
    let bytes = encode(&md, metagraph(&md, &empty, 2_520_000));
    // The 393 layout cannot hold that cutoff: the derived metadata really is HEAD's.
    let md393 = metadata(MAINNET.0);
    assert!(encode_as(&md393, metagraph(&md393, &empty, 2_520_000)).is_err());
    let m = decode(&md, &bytes);
    check_common(&m);
    assert_eq!(m.params.activity_cutoff, 2_520_000);
    assert!(m.neurons.iter().all(|n| n.trust == 0.0 && n.rank == 0.0));
    assert_eq!(m.defaulted, ["trust (0 of 2)", "rank (0 of 2)"]);
}

fn encode_as(md: &Metadata, m: Value) -> Result<Vec<u8>, String> {
    let (out, _) = types(md);
    Value::variant("Some", Composite::unnamed([m]))
        .encode_as_type(out, md.types())
        .map_err(|e| e.to_string())
}

#[test]
fn short_vectors_default_and_a_broken_shape_fails_for_the_fallback() {
    let md = head::head_like();
    // One uid's `active` and `emission` missing: defaults, named.
    let short = [("emission", vec![10])];
    let mut v = metagraph(&md, &short, 100);
    set(&mut v, "active", list([Value::bool(true)]));
    let m = decode(&md, &encode(&md, v));
    assert_eq!((m.neurons[1].emission, m.neurons[1].active), (0, false));
    assert_eq!(m.defaulted, ["active (1 of 2)", "emission (1 of 2)"]);
    // Coldkeys that do not match the hotkeys cannot be read per uid: an error, so the client
    // reads the subnet with get_neurons_lite instead.
    let mut v = metagraph(&md, &[], 100);
    set(&mut v, "coldkeys", list([Value::from_bytes([9u8; 32])]));
    let (out, _) = types(&md);
    let err = decode_metagraph(&encode(&md, v), out, md.types()).unwrap_err();
    assert!(
        err.to_string().contains("1 coldkeys for 2 hotkeys"),
        "{err}"
    );
    // Truncated bytes: an error, never a panic or a partial subnet.
    let bytes = encode(&md, metagraph(&md, &[], 100));
    assert!(decode_metagraph(&bytes[..bytes.len() - 5], out, md.types()).is_err());
}
