//! The subxt configuration for Subtensor and the per-transaction extension parameters.
//!
//! Subtensor is a standard Substrate chain except for its address type (no account index,
//! like Polkadot) and, on newer runtimes, a fee extension named `ChargeTransactionPaymentWrapper`
//! that subxt does not know. Everything else is read from the metadata the node serves.

use subxt::config::substrate::{SubstrateConfig, SubstrateConfigBuilder};
use subxt::config::{
    Config, DefaultExtrinsicParams, DefaultExtrinsicParamsBuilder, DefaultTransactionExtensions,
    HashFor,
};
use subxt::metadata::ArcMetadata;
use subxt::utils::{AccountId32, MultiAddress, H256};
use subxt::Metadata;

use crate::chain::TxParams;

/// subxt [`Config`] for Subtensor: Substrate types with a Polkadot-style address.
#[derive(Debug, Clone, Default)]
pub struct SubtensorConfig(SubstrateConfig);

impl SubtensorConfig {
    /// Config for a live node: genesis hash, versions and metadata are fetched from it.
    pub fn online() -> Self {
        Self(SubstrateConfig::new())
    }

    /// Config for an offline client pinned to one runtime (used to build and test extrinsics
    /// without a node).
    pub fn offline(
        genesis_hash: H256,
        spec_version: u32,
        transaction_version: u32,
        metadata: Metadata,
    ) -> Self {
        let range = subxt::config::substrate::SpecVersionForRange {
            block_range: 0..u64::MAX,
            spec_version,
            transaction_version,
        };
        let inner = SubstrateConfigBuilder::new()
            .set_genesis_hash(genesis_hash)
            .set_spec_version_for_block_ranges([range])
            .set_metadata_for_spec_versions([(spec_version, metadata.arc())])
            .build();
        Self(inner)
    }
}

impl Config for SubtensorConfig {
    type AccountId = AccountId32;
    type Address = MultiAddress<AccountId32, ()>;
    type Signature = <SubstrateConfig as Config>::Signature;
    type Hasher = <SubstrateConfig as Config>::Hasher;
    type Header = <SubstrateConfig as Config>::Header;
    type AssetId = <SubstrateConfig as Config>::AssetId;
    type TransactionExtensions = DefaultTransactionExtensions<Self>;

    fn genesis_hash(&self) -> Option<HashFor<Self>> {
        self.0.genesis_hash()
    }

    fn spec_and_transaction_version_for_block_number(&self, block: u64) -> Option<(u32, u32)> {
        self.0.spec_and_transaction_version_for_block_number(block)
    }

    fn metadata_for_spec_version(&self, spec_version: u32) -> Option<ArcMetadata> {
        self.0.metadata_for_spec_version(spec_version)
    }

    fn set_metadata_for_spec_version(&self, spec_version: u32, metadata: ArcMetadata) {
        self.0.set_metadata_for_spec_version(spec_version, metadata)
    }
}

/// Newer runtimes' fee extension. It encodes a `Compact` tip like `ChargeTransactionPayment`,
/// but under a name subxt's known set does not cover.
pub const FEE_WRAPPER: &str = "ChargeTransactionPaymentWrapper";

/// Identifiers of the transaction extensions the runtime expects, in order.
pub fn extension_names(metadata: &Metadata) -> Vec<String> {
    metadata
        .extrinsic()
        .transaction_extensions_to_use_for_encoding()
        .map(|e| e.identifier().to_string())
        .collect()
}

/// Extension parameters for one transaction: explicit nonce, mortal from the caller's birth
/// block, zero tip; the fee wrapper gets its (zero) tip when the runtime declares it.
/// Zero-sized extensions (`SubtensorTransactionExtension`, `DrandPriority`, ...) need no value.
pub fn tx_params(
    metadata: &Metadata,
    tx: &TxParams,
    birth_hash: H256,
) -> DefaultExtrinsicParams<SubtensorConfig> {
    let mut builder = DefaultExtrinsicParamsBuilder::<SubtensorConfig>::new()
        .nonce(tx.nonce)
        .tip(0)
        .mortal_from_unchecked(tx.period, tx.birth_block, birth_hash);
    if extension_names(metadata).iter().any(|n| n == FEE_WRAPPER) {
        builder = builder.custom_extension(FEE_WRAPPER, 0u128);
    }
    builder.build()
}
