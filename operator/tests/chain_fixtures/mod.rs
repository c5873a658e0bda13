//! Shared by the chain tests: the two real runtime metadata fixtures and an offline client.
#![allow(dead_code)]

pub mod head;
pub mod values;

use parity_scale_codec::Decode;
use subxt::ext::frame_metadata::v16::RuntimeMetadataV16;
use subxt::ext::frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
use subxt::utils::H256;
use subxt::{Metadata, OfflineClient};
use subxt_signer::sr25519::dev;

use tensorfleet::chain::client::calls::CallSpec;
use tensorfleet::chain::client::config::SubtensorConfig;
use tensorfleet::chain::AccountId;

pub const MAINNET: (&str, u32) = ("subtensor-finney-spec393.scale", 393);
pub const DEVNET: (&str, u32) = ("subtensor-devnet-spec218.scale", 218);
pub const BOTH: [(&str, u32); 2] = [MAINNET, DEVNET];

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub fn metadata(name: &str) -> Metadata {
    Metadata::decode_from(&fixture_bytes(name)).unwrap()
}

pub type At = subxt::client::ClientAtBlock<
    SubtensorConfig,
    subxt::client::OfflineClientAtBlockImpl<SubtensorConfig>,
>;

pub fn offline_at(md: Metadata, spec: u32) -> At {
    let cfg = SubtensorConfig::offline(H256([0x42; 32]), spec, 1, md);
    OfflineClient::new_with_config(cfg)
        .at_block(1000u64)
        .unwrap()
}

pub fn hotkey() -> AccountId {
    AccountId(dev::bob().public_key().0)
}

pub fn call_data(at: &At, spec: &CallSpec) -> Vec<u8> {
    at.tx().call_data(&spec.payload()).unwrap()
}

/// The mainnet (V16) metadata as frame-metadata, to derive variants of newer runtimes from.
pub fn mainnet_v16() -> RuntimeMetadataV16 {
    let bytes = fixture_bytes(MAINNET.0);
    let prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).unwrap();
    let RuntimeMetadata::V16(m) = prefixed.1 else {
        panic!("mainnet fixture is V16")
    };
    m
}
