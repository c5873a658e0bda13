//! NeuronInfoLite decoding: typed on mainnet (spec 393), Vec<u8> on spec 218.

mod chain_fixtures;

use std::net::Ipv4Addr;

use parity_scale_codec::Encode;
use scale_info::{PortableRegistry, TypeDef, TypeDefPrimitive};
use subxt::ext::scale_encode::EncodeAsType;
use subxt::ext::scale_value::{Composite, Value};
use subxt::Metadata;

use tensorfleet::chain::client::metagraph::{decode_metagraph, METAGRAPH, SUBNET_API};
use tensorfleet::chain::client::neurons::{decode_neurons_lite, NEURONS_LITE, NEURON_API};
use tensorfleet::chain::AccountId;

use chain_fixtures::*;

fn neuron_value(uid: u16, ip: u32, stakes: &[u64]) -> Value {
    let acct = |b: u8| Value::from_bytes([b; 32]);
    let u = |n: u128| Value::u128(n);
    let axon = Value::named_composite([
        ("block", u(777)),
        ("version", u(9)),
        ("ip", u(ip.into())),
        ("port", u(8091)),
        ("ip_type", u(4)),
        ("protocol", u(4)),
        ("placeholder1", u(0)),
        ("placeholder2", u(0)),
    ]);
    let prom = Value::named_composite([
        ("block", u(0)),
        ("version", u(0)),
        ("ip", u(0)),
        ("port", u(0)),
        ("ip_type", u(0)),
    ]);
    let stake = Value::unnamed_composite(
        stakes
            .iter()
            .enumerate()
            .map(|(i, s)| Value::unnamed_composite([acct(100 + i as u8), u(u128::from(*s))])),
    );
    Value::named_composite([
        ("hotkey", acct(uid as u8 + 1)),
        ("coldkey", acct(200)),
        ("uid", u(uid.into())),
        ("netuid", u(3)),
        ("active", Value::bool(true)),
        ("axon_info", axon),
        ("prometheus_info", prom),
        ("stake", stake),
        ("rank", u(0)),
        ("emission", u(123_456)),
        ("incentive", u(65535)),
        ("consensus", u(32768)),
        ("trust", u(0)),
        ("validator_trust", u(100)),
        ("dividends", u(0)),
        ("last_update", u(4_000_000)),
        ("validator_permit", Value::bool(uid == 0)),
        ("pruning_score", u(65535)),
    ])
}

fn neurons_lite_output(md: &Metadata) -> u32 {
    md.runtime_api_trait_by_name(NEURON_API)
        .unwrap()
        .method_by_name(NEURONS_LITE)
        .unwrap()
        .output_ty()
}

/// SCALE bytes of two neurons, encoded by the mainnet metadata's own `Vec<NeuronInfoLite>` type.
fn two_neurons_bytes(md393: &Metadata) -> Vec<u8> {
    let list = Value::unnamed_composite([
        neuron_value(
            0,
            u32::from(Ipv4Addr::new(198, 51, 100, 4)),
            &[1_000, 2_000],
        ),
        neuron_value(1, 0, &[]),
    ]);
    list.encode_as_type(neurons_lite_output(md393), md393.types())
        .unwrap()
}

fn check_two_neurons(f: &str, ns: &[tensorfleet::chain::NeuronInfo]) {
    assert_eq!(ns.len(), 2, "{f}");
    let n = &ns[0];
    assert_eq!(
        (n.uid, n.hotkey, n.coldkey),
        (0, AccountId([1; 32]), AccountId([200; 32])),
        "{f}"
    );
    assert_eq!(n.stake, 3_000, "{f}: stake is the sum over coldkeys");
    assert_eq!(
        (n.emission, n.last_update, n.validator_permit, n.active),
        (123_456, 4_000_000, true, true),
        "{f}"
    );
    assert_eq!(n.incentive, 1.0, "{f}");
    assert!((n.consensus - 32768.0 / 65535.0).abs() < 1e-12, "{f}");
    assert_eq!(n.validator_trust, Some(100.0 / 65535.0), "{f}");
    let axon = n.axon.as_ref().unwrap();
    assert_eq!(
        (axon.ip, axon.port, axon.version, axon.block),
        ("198.51.100.4".parse().unwrap(), 8091, 9, 777),
        "{f}"
    );
    assert_eq!(ns[1].axon, None, "{f}: ip 0 means never served");
    assert_eq!(ns[1].stake, 0, "{f}");
}

#[test]
fn neurons_lite_decodes_typed_result_on_mainnet() {
    let md = metadata(MAINNET.0);
    let bytes = two_neurons_bytes(&md);
    let ns = decode_neurons_lite(&bytes, neurons_lite_output(&md), md.types()).unwrap();
    check_two_neurons(MAINNET.0, &ns);
}

#[test]
fn neurons_lite_decodes_byte_vector_result_on_spec_218() {
    let md393 = metadata(MAINNET.0);
    let md218 = metadata(DEVNET.0);
    // Spec 218 declares Vec<u8>: the runtime returns the same NeuronInfoLite layout as bytes.
    let inner = two_neurons_bytes(&md393);
    let bytes = inner.encode();
    let ns = decode_neurons_lite(&bytes, neurons_lite_output(&md218), md218.types()).unwrap();
    check_two_neurons(DEVNET.0, &ns);
    // Truncated bytes are a decode error, not a panic or a partial list.
    let cut = inner[..inner.len() - 3].to_vec().encode();
    assert!(decode_neurons_lite(&cut, neurons_lite_output(&md218), md218.types()).is_err());
}

/// A zero value of any type, built from the registry (first variant, empty sequences).
fn zero(id: u32, types: &PortableRegistry) -> Value {
    let ty = types.resolve(id).unwrap();
    let fields = |fs: &[scale_info::Field<scale_info::form::PortableForm>]| -> Composite<()> {
        if fs.iter().all(|f| f.name.is_some()) && !fs.is_empty() {
            Composite::named(
                fs.iter()
                    .map(|f| (f.name.clone().unwrap(), zero(f.ty.id, types))),
            )
        } else {
            Composite::unnamed(fs.iter().map(|f| zero(f.ty.id, types)))
        }
    };
    match &ty.type_def {
        TypeDef::Composite(c) => Value {
            value: subxt::ext::scale_value::ValueDef::Composite(fields(&c.fields)),
            context: (),
        },
        TypeDef::Variant(v) => {
            Value::variant(v.variants[0].name.clone(), fields(&v.variants[0].fields))
        }
        TypeDef::Sequence(_) | TypeDef::BitSequence(_) => Value::unnamed_composite([]),
        TypeDef::Array(a) => {
            Value::unnamed_composite((0..a.len).map(|_| zero(a.type_param.id, types)))
        }
        TypeDef::Tuple(t) => Value::unnamed_composite(t.fields.iter().map(|f| zero(f.id, types))),
        TypeDef::Compact(c) => zero(c.type_param.id, types),
        TypeDef::Primitive(TypeDefPrimitive::Bool) => Value::bool(false),
        TypeDef::Primitive(TypeDefPrimitive::Str) => Value::string(""),
        TypeDef::Primitive(TypeDefPrimitive::Char) => Value::char('a'),
        TypeDef::Primitive(_) => Value::u128(0),
    }
}

fn set(v: &mut Value, name: &str, new: Value) {
    let subxt::ext::scale_value::ValueDef::Composite(Composite::Named(fs)) = &mut v.value else {
        panic!()
    };
    let slot = fs
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    slot.1 = new;
}

fn list<I: IntoIterator<Item = Value>>(i: I) -> Value {
    Value::unnamed_composite(i)
}

#[test]
fn metagraph_decodes_params_and_per_uid_vectors() {
    let md = metadata(MAINNET.0);
    let method = md
        .runtime_api_trait_by_name(SUBNET_API)
        .unwrap()
        .method_by_name(METAGRAPH)
        .unwrap();
    let out = method.output_ty();
    // Output is Option<Metagraph>: build Some(metagraph) from the metadata's own type.
    let TypeDef::Variant(opt) = &md.types().resolve(out).unwrap().type_def else {
        panic!()
    };
    let inner = opt
        .variants
        .iter()
        .find(|v| v.name == "Some")
        .unwrap()
        .fields[0]
        .ty
        .id;
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
    ] {
        set(&mut m, k, u(v));
    }
    set(&mut m, "registration_allowed", Value::bool(true));
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
    for (k, a, b) in [
        ("last_update", 100u128, 200),
        ("emission", 10, 20),
        ("dividends", 0, 65535),
        ("incentives", 65535, 0),
        ("consensus", 0, 0),
        ("trust", 0, 0),
        ("rank", 0, 0),
        ("block_at_registration", 1234, 5678),
        ("alpha_stake", 42, 43),
    ] {
        set(&mut m, k, list([u(a), u(b)]));
    }
    let bytes = Value::variant("Some", Composite::unnamed([m]))
        .encode_as_type(out, md.types())
        .unwrap();

    let (p, ns) = decode_metagraph(&bytes, out, md.types()).unwrap().unwrap();
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
    assert!(p.registration_allowed);
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

    // None: the subnet does not exist.
    let none = Value::variant("None", Composite::unnamed([]))
        .encode_as_type(out, md.types())
        .unwrap();
    assert!(decode_metagraph(&none, out, md.types()).unwrap().is_none());
}
