//! Transaction extensions and offline signing on both runtimes, incl. the fee wrapper.

mod chain_fixtures;

use parity_scale_codec::Decode;
use subxt::utils::H256;
use subxt::Metadata;
use subxt_signer::sr25519::{dev, Keypair};

use tensorfleet::chain::client::calls::{self, RegisterPlan};
use tensorfleet::chain::client::config::{extension_names, SubtensorConfig, FEE_WRAPPER};
use tensorfleet::chain::client::submit;
use tensorfleet::chain::client::{events, value};
use tensorfleet::chain::{AccountId, Signer, TxParams};

use chain_fixtures::*;

fn params(nonce: u64) -> TxParams {
    TxParams {
        nonce,
        birth_block: 990,
        period: 64,
    }
}

/// Sign `burned_register` offline and decode the extrinsic back with the same metadata.
fn signed_register(md: Metadata, spec: u32, key: &Keypair) -> Vec<u8> {
    let at = offline_at(md, spec);
    let md = at.metadata();
    let RegisterPlan::CheckBurnFirst(call) = calls::register(&md, 1, &hotkey(), 10) else {
        panic!()
    };
    let tx = submit::sign(&at, &call, key, &params(17), H256([0x11; 32])).unwrap();
    let bytes = tx.encoded().to_vec();
    let ext =
        subxt::ext::frame_decode::extrinsics::decode_extrinsic(&mut &bytes[..], &*md, md.types())
            .unwrap();
    assert!(ext.is_signed());
    assert_eq!(
        (ext.pallet_name(), ext.call_name()),
        ("SubtensorModule", "burned_register")
    );
    let exts = ext.transaction_extension_payload().unwrap();
    let names: Vec<&str> = exts.iter().map(|e| e.name()).collect();
    assert!(
        names.contains(&"CheckMortality") && names.contains(&"CheckNonce"),
        "{names:?}"
    );
    let nonce = exts.iter().find(|e| e.name() == "CheckNonce").unwrap();
    assert_eq!(
        parity_scale_codec::Compact::<u64>::decode(&mut &bytes[nonce.range()])
            .unwrap()
            .0,
        17
    );
    let era = exts.iter().find(|e| e.name() == "CheckMortality").unwrap();
    assert_ne!(bytes[era.range()][0], 0, "mortal era, not immortal");
    bytes
}

#[test]
fn extension_sets_resolve_and_burned_register_signs_offline_on_both_runtimes() {
    for (f, spec) in BOTH {
        let names = extension_names(&metadata(f));
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("ChargeTransactionPayment")),
            "{f}: {names:?}"
        );
        let bytes = signed_register(metadata(f), spec, &dev::alice());
        assert!(bytes.len() > 100, "{f}");
    }
}

/// Mainnet metadata with the fee extension renamed as newer runtimes name it.
fn mainnet_with_fee_wrapper() -> Metadata {
    let mut m = mainnet_v16();
    let ext = m
        .extrinsic
        .transaction_extensions
        .iter_mut()
        .find(|e| e.identifier == "ChargeTransactionPayment")
        .unwrap();
    ext.identifier = FEE_WRAPPER.to_string();
    Metadata::from_v16(m).unwrap()
}

#[test]
fn fee_wrapper_extension_is_supplied_from_metadata() {
    let md = mainnet_with_fee_wrapper();
    assert!(extension_names(&md).iter().any(|n| n == FEE_WRAPPER));
    // subxt's default extensions alone cannot build a transaction for this runtime...
    let at = offline_at(mainnet_with_fee_wrapper(), 393);
    let RegisterPlan::CheckBurnFirst(call) = calls::register(&md, 1, &hotkey(), 10) else {
        panic!()
    };
    let plain = subxt::config::DefaultExtrinsicParamsBuilder::<SubtensorConfig>::new()
        .nonce(1)
        .build();
    let payload = call.payload();
    let plain_signed = at
        .tx()
        .create_signable_offline(&payload, plain)
        .and_then(|mut s| s.sign(&dev::alice()));
    let err = plain_signed.expect_err("default extensions must not cover the wrapper");
    assert!(err.to_string().contains(FEE_WRAPPER), "{err}");
    // ...ours can, and the wrapper's tip is encoded (one zero Compact byte).
    let bytes = signed_register(mainnet_with_fee_wrapper(), 393, &dev::alice());
    let ext =
        subxt::ext::frame_decode::extrinsics::decode_extrinsic(&mut &bytes[..], &md, md.types())
            .unwrap();
    let fee = ext
        .transaction_extension_payload()
        .unwrap()
        .iter()
        .find(|e| e.name() == FEE_WRAPPER)
        .unwrap();
    assert_eq!(&bytes[fee.range()], &[0u8]);
}

#[test]
fn proxied_register_signs_offline_with_the_proxy_key() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let md = at.metadata();
        let signer = Signer::Proxy {
            proxy: dev::charlie(),
            real: AccountId(dev::alice().public_key().0),
        };
        let RegisterPlan::CheckBurnFirst(call) = calls::register(&md, 1, &hotkey(), 10) else {
            panic!()
        };
        let call = calls::for_signer(call, &signer, "Registration");
        let tx = submit::sign(&at, &call, &dev::charlie(), &params(0), H256([1; 32])).unwrap();
        let bytes = tx.encoded().to_vec();
        let ext = subxt::ext::frame_decode::extrinsics::decode_extrinsic(
            &mut &bytes[..],
            &*md,
            md.types(),
        )
        .unwrap();
        assert_eq!(
            (ext.pallet_name(), ext.call_name()),
            ("Proxy", "proxy"),
            "{f}"
        );
        // The signer is the proxy key: V4 address is MultiAddress::Id(charlie).
        let sig = ext.signature_payload().unwrap();
        assert_eq!(
            &bytes[sig.address_range()][1..],
            &dev::charlie().public_key().0,
            "{f}"
        );
    }
}

/// The type id of `sp_runtime::DispatchError` in a runtime's registry.
fn dispatch_error_type(md: &subxt::Metadata) -> u32 {
    md.types()
        .types
        .iter()
        .find(|t| t.ty.path.segments == ["sp_runtime", "DispatchError"])
        .expect("DispatchError in metadata")
        .id
}

/// Encoded `DispatchError` bytes decoded as the chain's type, then named.
fn named(md: &subxt::Metadata, bytes: &[u8]) -> tensorfleet::chain::TxResult {
    let v = value::decode(bytes, dispatch_error_type(md), md.types()).unwrap();
    events::dispatch_error(&v, md)
}

#[test]
fn module_errors_decode_to_pallet_and_error_names() {
    use tensorfleet::chain::TxResult;
    // CHAIN.md: HotKeyAlreadyRegisteredInSubNet is pallet 7, error 23 on spec 218 (21 at 393
    // and HEAD): DispatchError::Module (variant 3) { index: 7, error: [23, 0, 0, 0] }.
    let md218 = metadata(DEVNET.0);
    assert_eq!(
        named(&md218, &[3u8, 7, 23, 0, 0, 0]),
        TxResult::failed("SubtensorModule", "HotKeyAlreadyRegisteredInSubNet")
    );
    // On mainnet the index differs; look it up by name and decode it back.
    let md = metadata(MAINNET.0);
    let pallet = md.pallet_by_name("SubtensorModule").unwrap();
    let idx = pallet
        .error_variants()
        .unwrap()
        .iter()
        .find(|v| v.name == "NotEnoughBalanceToStake")
        .unwrap()
        .index;
    let bytes = [3u8, pallet.error_index(), idx, 0, 0, 0];
    assert_eq!(named(&md, &bytes).label(), "NotEnoughBalanceToStake");
    assert_eq!(
        named(&md, &[3u8, 7, 21, 0, 0, 0]).label(),
        "HotKeyAlreadyRegisteredInSubNet"
    );
    // Non-module errors keep their kind (2 = BadOrigin; 7 = Token, 1 = FundsUnavailable).
    assert_eq!(
        named(&md, &[2u8]),
        TxResult::failed("Dispatch", "BadOrigin")
    );
    assert_eq!(
        named(&md, &[7u8, 0]),
        TxResult::failed("Dispatch", "Token.FundsUnavailable")
    );
}
