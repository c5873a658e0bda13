//! NeuronInfoLite decoding: typed on mainnet (spec 393), Vec<u8> on spec 218.

mod chain_fixtures;

use std::net::Ipv4Addr;

use parity_scale_codec::Encode;
use subxt::ext::scale_encode::EncodeAsType;
use subxt::ext::scale_value::Value;
use subxt::Metadata;

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
