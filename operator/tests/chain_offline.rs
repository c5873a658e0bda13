//! Offline tests of the real chain client against two real runtime metadata fixtures:
//! mainnet spec 393 (V16) and a dev runtime spec 218 (V15).

use std::net::{IpAddr, Ipv4Addr};

use blake2::digest::{consts::U16, Digest};
use parity_scale_codec::{Decode, Encode};
use subxt::ext::scale_encode::EncodeAsType;
use subxt::ext::scale_value::Value;
use subxt::utils::H256;
use subxt::{Metadata, OfflineClient};
use subxt_signer::sr25519::{dev, Keypair};

use tensorfleet::chain::client::calls::{self, ProxyKind, RegisterPlan};
use tensorfleet::chain::client::config::{extension_names, SubtensorConfig, FEE_WRAPPER};
use tensorfleet::chain::client::neurons::{decode_neurons_lite, NEURONS_LITE, NEURON_API};
use tensorfleet::chain::client::storage::{self, PARAM_ENTRIES};
use tensorfleet::chain::client::submit;
use tensorfleet::chain::{AccountId, Signer, SubnetParams, TxParams};

const MAINNET: (&str, u32) = ("subtensor-finney-spec393.scale", 393);
const DEVNET: (&str, u32) = ("subtensor-devnet-spec218.scale", 218);
const BOTH: [(&str, u32); 2] = [MAINNET, DEVNET];

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn metadata(name: &str) -> Metadata {
    Metadata::decode_from(&fixture_bytes(name)).unwrap()
}

type At = subxt::client::ClientAtBlock<
    SubtensorConfig,
    subxt::client::OfflineClientAtBlockImpl<SubtensorConfig>,
>;

fn offline_at(md: Metadata, spec: u32) -> At {
    let cfg = SubtensorConfig::offline(H256([0x42; 32]), spec, 1, md);
    OfflineClient::new_with_config(cfg).at_block(1000u64).unwrap()
}

fn hotkey() -> AccountId {
    AccountId(dev::bob().public_key().0)
}

fn call_data(at: &At, spec: &calls::CallSpec) -> Vec<u8> {
    at.tx().call_data(&spec.payload()).unwrap()
}

#[test]
fn calls_encode_with_pallet_and_call_indices_and_argument_layout() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let hk = hotkey();
        // SubtensorModule is pallet 7 on both runtimes.
        let RegisterPlan::CheckBurnFirst(reg) = calls::register(at.metadata_ref(), 3, &hk, 1) else {
            panic!("{f}: neither fixture has register_limit");
        };
        let mut want = vec![7u8, 7];
        want.extend(3u16.to_le_bytes());
        want.extend(hk.0);
        assert_eq!(call_data(&at, &reg), want, "{f} burned_register");

        for (call, idx) in [(calls::add_stake(3, &hk, 5_000_000), 2u8), (calls::remove_stake(3, &hk, 5_000_000), 3)] {
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
        let signer = Signer::Proxy { proxy: dev::charlie(), real };
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
        let direct = calls::for_signer(inner.clone(), &Signer::Key(dev::alice()), ProxyKind::Staking);
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

fn twox128(data: &[u8]) -> Vec<u8> {
    let mut out = twox_hash::XxHash64::oneshot(0, data).to_le_bytes().to_vec();
    out.extend(twox_hash::XxHash64::oneshot(1, data).to_le_bytes());
    out
}

fn blake2_128_concat(data: &[u8]) -> Vec<u8> {
    let mut out = blake2::Blake2b::<U16>::digest(data).to_vec();
    out.extend(data);
    out
}

fn prefix(pallet: &str, entry: &str) -> Vec<u8> {
    [twox128(pallet.as_bytes()), twox128(entry.as_bytes())].concat()
}

#[test]
fn storage_keys_match_independently_computed_hashes() {
    // Known value: twox128("System") from Substrate.
    assert_eq!(hex::encode(twox128(b"System")), "26aa394eea5630e07c48ae0c9558cef7");
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let hk = hotkey();
        let uids = storage::key(&at, "SubtensorModule", "Uids", (5u16, hk.0)).unwrap();
        let want = [prefix("SubtensorModule", "Uids"), 5u16.to_le_bytes().to_vec(), blake2_128_concat(&hk.0)].concat();
        assert_eq!(uids.key, want, "{f} Uids");

        let burn = storage::key(&at, "SubtensorModule", "Burn", (5u16,)).unwrap();
        assert_eq!(burn.key, [prefix("SubtensorModule", "Burn"), vec![5, 0]].concat(), "{f} Burn");

        let axons = storage::key(&at, "SubtensorModule", "Axons", (5u16, hk.0)).unwrap();
        let want = [prefix("SubtensorModule", "Axons"), vec![5, 0], blake2_128_concat(&hk.0)].concat();
        assert_eq!(axons.key, want, "{f} Axons");

        let reg = storage::key(&at, "SubtensorModule", "BlockAtRegistration", (5u16, 300u16)).unwrap();
        let want = [prefix("SubtensorModule", "BlockAtRegistration"), vec![5, 0], 300u16.to_le_bytes().to_vec()].concat();
        assert_eq!(reg.key, want, "{f} BlockAtRegistration");
    }
}

#[test]
fn uids_absent_is_unregistered_not_uid_zero() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let read = storage::key(&at, "SubtensorModule", "Uids", (1u16, hotkey().0)).unwrap();
        let md = at.metadata();
        assert_eq!(storage::decode::<u16>(&md, &read, None, false).unwrap(), None, "{f}");
        assert_eq!(storage::decode::<u16>(&md, &read, Some(&[9, 1]), false).unwrap(), Some(265), "{f}");
    }
}

#[test]
fn subnet_parameters_decode_from_metadata_typed_values() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let md = at.metadata();
        let reads = storage::param_keys(&at, 2).unwrap();
        let given: Vec<u64> = vec![1, 1_500_000_000, 500_000, 100_000_000_000, 10_000_000, 1, 360, 5000, 250, 256, 50];
        let values: Vec<Option<Vec<u8>>> = PARAM_ENTRIES
            .iter()
            .zip(&given)
            .map(|(e, v)| {
                let bytes = match *e {
                    "NetworksAdded" | "NetworkRegistrationAllowed" => storage::encode_value(&md, "SubtensorModule", e, &(*v == 1)),
                    _ => storage::encode_value(&md, "SubtensorModule", e, v),
                };
                Some(bytes.unwrap())
            })
            .collect();
        // Types come from the metadata: Tempo is u16 (2 bytes), Burn u64 (8 bytes).
        assert_eq!(values[6].as_ref().unwrap().len(), 2, "{f}");
        assert_eq!(values[1].as_ref().unwrap().len(), 8, "{f}");
        let p = storage::decode_params(&md, &reads, &values).unwrap().unwrap();
        let want = SubnetParams {
            burn: 1_500_000_000, min_burn: 500_000, max_burn: 100_000_000_000, difficulty: 10_000_000,
            registration_allowed: true, tempo: 360, immunity_period: 5000, subnetwork_n: 250,
            max_allowed_uids: 256, serving_rate_limit: 50,
        };
        assert_eq!(p, want, "{f}");
        // No NetworksAdded value: its default (false) means the subnet does not exist.
        let mut missing = values.clone();
        missing[0] = None;
        assert_eq!(storage::decode_params(&md, &reads, &missing).unwrap(), None, "{f}");
    }
}

fn neuron_value(uid: u16, ip: u32, stakes: &[u64]) -> Value {
    let acct = |b: u8| Value::from_bytes([b; 32]);
    let u = |n: u128| Value::u128(n);
    let axon = Value::named_composite([
        ("block", u(777)), ("version", u(9)), ("ip", u(ip.into())), ("port", u(8091)),
        ("ip_type", u(4)), ("protocol", u(4)), ("placeholder1", u(0)), ("placeholder2", u(0)),
    ]);
    let prom = Value::named_composite([
        ("block", u(0)), ("version", u(0)), ("ip", u(0)), ("port", u(0)), ("ip_type", u(0)),
    ]);
    let stake = Value::unnamed_composite(
        stakes.iter().enumerate().map(|(i, s)| Value::unnamed_composite([acct(100 + i as u8), u(u128::from(*s))])),
    );
    Value::named_composite([
        ("hotkey", acct(uid as u8 + 1)), ("coldkey", acct(200)), ("uid", u(uid.into())), ("netuid", u(3)),
        ("active", Value::bool(true)), ("axon_info", axon), ("prometheus_info", prom), ("stake", stake),
        ("rank", u(0)), ("emission", u(123_456)), ("incentive", u(65535)), ("consensus", u(32768)),
        ("trust", u(0)), ("validator_trust", u(100)), ("dividends", u(0)), ("last_update", u(4_000_000)),
        ("validator_permit", Value::bool(uid == 0)), ("pruning_score", u(65535)),
    ])
}

fn neurons_lite_output(md: &Metadata) -> u32 {
    md.runtime_api_trait_by_name(NEURON_API).unwrap().method_by_name(NEURONS_LITE).unwrap().output_ty()
}

/// SCALE bytes of two neurons, encoded by the mainnet metadata's own `Vec<NeuronInfoLite>` type.
fn two_neurons_bytes(md393: &Metadata) -> Vec<u8> {
    let list = Value::unnamed_composite([
        neuron_value(0, u32::from(Ipv4Addr::new(198, 51, 100, 4)), &[1_000, 2_000]),
        neuron_value(1, 0, &[]),
    ]);
    list.encode_as_type(neurons_lite_output(md393), md393.types()).unwrap()
}

fn check_two_neurons(f: &str, ns: &[tensorfleet::chain::NeuronInfo]) {
    assert_eq!(ns.len(), 2, "{f}");
    let n = &ns[0];
    assert_eq!((n.uid, n.hotkey, n.coldkey), (0, AccountId([1; 32]), AccountId([200; 32])), "{f}");
    assert_eq!(n.stake, 3_000, "{f}: stake is the sum over coldkeys");
    assert_eq!((n.emission, n.last_update, n.validator_permit, n.active), (123_456, 4_000_000, true, true), "{f}");
    assert_eq!(n.incentive, 1.0, "{f}");
    assert!((n.consensus - 32768.0 / 65535.0).abs() < 1e-12, "{f}");
    let axon = n.axon.as_ref().unwrap();
    assert_eq!((axon.ip, axon.port, axon.version, axon.block), ("198.51.100.4".parse().unwrap(), 8091, 9, 777), "{f}");
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

fn params(nonce: u64) -> TxParams {
    TxParams { nonce, birth_block: 990, period: 64 }
}

/// Sign `burned_register` offline and decode the extrinsic back with the same metadata.
fn signed_register(md: Metadata, spec: u32, key: &Keypair) -> Vec<u8> {
    let at = offline_at(md, spec);
    let md = at.metadata();
    let RegisterPlan::CheckBurnFirst(call) = calls::register(&md, 1, &hotkey(), 10) else { panic!() };
    let tx = submit::sign(&at, &call, key, &params(17), H256([0x11; 32])).unwrap();
    let bytes = tx.encoded().to_vec();
    let ext = subxt::ext::frame_decode::extrinsics::decode_extrinsic(&mut &bytes[..], &*md, md.types()).unwrap();
    assert!(ext.is_signed());
    assert_eq!((ext.pallet_name(), ext.call_name()), ("SubtensorModule", "burned_register"));
    let exts = ext.transaction_extension_payload().unwrap();
    let names: Vec<&str> = exts.iter().map(|e| e.name()).collect();
    assert!(names.contains(&"CheckMortality") && names.contains(&"CheckNonce"), "{names:?}");
    let nonce = exts.iter().find(|e| e.name() == "CheckNonce").unwrap();
    assert_eq!(parity_scale_codec::Compact::<u64>::decode(&mut &bytes[nonce.range()]).unwrap().0, 17);
    let era = exts.iter().find(|e| e.name() == "CheckMortality").unwrap();
    assert_ne!(bytes[era.range()][0], 0, "mortal era, not immortal");
    bytes
}

#[test]
fn extension_sets_resolve_and_burned_register_signs_offline_on_both_runtimes() {
    for (f, spec) in BOTH {
        let names = extension_names(&metadata(f));
        assert!(names.iter().any(|n| n.starts_with("ChargeTransactionPayment")), "{f}: {names:?}");
        let bytes = signed_register(metadata(f), spec, &dev::alice());
        assert!(bytes.len() > 100, "{f}");
    }
}

/// Mainnet metadata with the fee extension renamed as newer runtimes name it.
fn mainnet_with_fee_wrapper() -> Metadata {
    use subxt::ext::frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
    let mut prefixed = RuntimeMetadataPrefixed::decode(&mut &fixture_bytes(MAINNET.0)[..]).unwrap();
    let RuntimeMetadata::V16(m) = &mut prefixed.1 else { panic!("mainnet fixture is V16") };
    let ext = m.extrinsic.transaction_extensions.iter_mut().find(|e| e.identifier == "ChargeTransactionPayment").unwrap();
    ext.identifier = FEE_WRAPPER.to_string();
    let RuntimeMetadata::V16(m) = prefixed.1 else { unreachable!() };
    Metadata::from_v16(m).unwrap()
}

#[test]
fn fee_wrapper_extension_is_supplied_from_metadata() {
    let md = mainnet_with_fee_wrapper();
    assert!(extension_names(&md).iter().any(|n| n == FEE_WRAPPER));
    // subxt's default extensions alone cannot build a transaction for this runtime...
    let at = offline_at(mainnet_with_fee_wrapper(), 393);
    let RegisterPlan::CheckBurnFirst(call) = calls::register(&md, 1, &hotkey(), 10) else { panic!() };
    let plain = subxt::config::DefaultExtrinsicParamsBuilder::<SubtensorConfig>::new().nonce(1).build();
    let payload = call.payload();
    let plain_signed = at.tx().create_signable_offline(&payload, plain).and_then(|mut s| s.sign(&dev::alice()));
    let err = plain_signed.err().expect("default extensions must not cover the wrapper");
    assert!(err.to_string().contains(FEE_WRAPPER), "{err}");
    // ...ours can, and the wrapper's tip is encoded (one zero Compact byte).
    let bytes = signed_register(mainnet_with_fee_wrapper(), 393, &dev::alice());
    let ext = subxt::ext::frame_decode::extrinsics::decode_extrinsic(&mut &bytes[..], &md, md.types()).unwrap();
    let fee = ext.transaction_extension_payload().unwrap().iter().find(|e| e.name() == FEE_WRAPPER).unwrap();
    assert_eq!(&bytes[fee.range()], &[0u8]);
}

#[test]
fn proxied_register_signs_offline_with_the_proxy_key() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let md = at.metadata();
        let signer = Signer::Proxy { proxy: dev::charlie(), real: AccountId(dev::alice().public_key().0) };
        let RegisterPlan::CheckBurnFirst(call) = calls::register(&md, 1, &hotkey(), 10) else { panic!() };
        let call = calls::for_signer(call, &signer, ProxyKind::Registration);
        let tx = submit::sign(&at, &call, &dev::charlie(), &params(0), H256([1; 32])).unwrap();
        let bytes = tx.encoded().to_vec();
        let ext = subxt::ext::frame_decode::extrinsics::decode_extrinsic(&mut &bytes[..], &*md, md.types()).unwrap();
        assert_eq!((ext.pallet_name(), ext.call_name()), ("Proxy", "proxy"), "{f}");
        // The signer is the proxy key: V4 address is MultiAddress::Id(charlie).
        let sig = ext.signature_payload().unwrap();
        assert_eq!(&bytes[sig.address_range()][1..], &dev::charlie().public_key().0, "{f}");
    }
}
