//! Storage keys and subnet-parameter values against both runtime fixtures.

mod chain_fixtures;

use blake2::digest::{consts::U16, Digest};

use tensorfleet::chain::client::storage::{self, PARAM_ENTRIES};
use tensorfleet::chain::SubnetParams;

use chain_fixtures::*;

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
    assert_eq!(
        hex::encode(twox128(b"System")),
        "26aa394eea5630e07c48ae0c9558cef7"
    );
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let hk = hotkey();
        let uids = storage::key(&at, "SubtensorModule", "Uids", (5u16, hk.0)).unwrap();
        let want = [
            prefix("SubtensorModule", "Uids"),
            5u16.to_le_bytes().to_vec(),
            blake2_128_concat(&hk.0),
        ]
        .concat();
        assert_eq!(uids.key, want, "{f} Uids");

        let burn = storage::key(&at, "SubtensorModule", "Burn", (5u16,)).unwrap();
        assert_eq!(
            burn.key,
            [prefix("SubtensorModule", "Burn"), vec![5, 0]].concat(),
            "{f} Burn"
        );

        let axons = storage::key(&at, "SubtensorModule", "Axons", (5u16, hk.0)).unwrap();
        let want = [
            prefix("SubtensorModule", "Axons"),
            vec![5, 0],
            blake2_128_concat(&hk.0),
        ]
        .concat();
        assert_eq!(axons.key, want, "{f} Axons");

        let reg = storage::key(
            &at,
            "SubtensorModule",
            "BlockAtRegistration",
            (5u16, 300u16),
        )
        .unwrap();
        let want = [
            prefix("SubtensorModule", "BlockAtRegistration"),
            vec![5, 0],
            300u16.to_le_bytes().to_vec(),
        ]
        .concat();
        assert_eq!(reg.key, want, "{f} BlockAtRegistration");
    }
}

#[test]
fn uids_absent_is_unregistered_not_uid_zero() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let read = storage::key(&at, "SubtensorModule", "Uids", (1u16, hotkey().0)).unwrap();
        let md = at.metadata();
        assert_eq!(
            storage::decode::<u16>(&md, &read, None, false).unwrap(),
            None,
            "{f}"
        );
        assert_eq!(
            storage::decode::<u16>(&md, &read, Some(&[9, 1]), false).unwrap(),
            Some(265),
            "{f}"
        );
    }
}

#[test]
fn subnet_parameters_decode_from_metadata_typed_values() {
    let given: [(&str, u64); 23] = [
        ("NetworksAdded", 1),
        ("Burn", 1_500_000_000),
        ("MinBurn", 500_000),
        ("MaxBurn", 100_000_000_000),
        ("Difficulty", 10_000_000),
        ("NetworkRegistrationAllowed", 1),
        ("Tempo", 360),
        ("ImmunityPeriod", 5000),
        ("SubnetworkN", 250),
        ("MaxAllowedUids", 256),
        ("ServingRateLimit", 50),
        ("ActivityCutoff", 4321),
        ("ActivityCutoffFactorMilli", 13_889),
        ("WeightsSetRateLimit", 100),
        ("WeightsVersionKey", 7),
        ("CommitRevealWeightsEnabled", 1),
        ("NetworkRegisteredAt", 4_800_000),
        ("SubnetTAO", 4_000_000_000_000),
        ("SubnetAlphaIn", 1_000_000_000_000),
        ("SubnetMechanism", 1),
        ("MechanismCountCurrent", 2),
        ("LastEpochBlock", 4_811_000),
        ("RevealPeriodEpochs", 2),
    ];
    let flags = [
        "NetworksAdded",
        "NetworkRegistrationAllowed",
        "CommitRevealWeightsEnabled",
    ];
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let md = at.metadata();
        // Only the entries this runtime has are read.
        let reads = storage::param_keys(&at, 2).unwrap();
        let names: Vec<&str> = reads.iter().map(|r| r.entry).collect();
        assert!(names.iter().all(|n| PARAM_ENTRIES.contains(n)), "{f}");
        assert_eq!(names.contains(&"MechanismCountCurrent"), spec >= 320, "{f}");
        assert!(
            !names.contains(&"ActivityCutoffFactorMilli"),
            "{f}: a spec 423 entry"
        );
        let values: Vec<Option<Vec<u8>>> = reads
            .iter()
            .map(|r| {
                let v = given.iter().find(|(n, _)| *n == r.entry).unwrap().1;
                let bytes = if flags.contains(&r.entry) {
                    storage::encode_value(&md, "SubtensorModule", r.entry, &(v == 1))
                } else {
                    storage::encode_value(&md, "SubtensorModule", r.entry, &v)
                };
                Some(bytes.unwrap_or_else(|e| panic!("{f} {}: {e}", r.entry)))
            })
            .collect();
        // Types come from the metadata: Tempo is u16 (2 bytes), Burn u64 (8 bytes).
        let len = |e: &str| {
            values[names.iter().position(|n| *n == e).unwrap()]
                .as_ref()
                .unwrap()
                .len()
        };
        assert_eq!((len("Tempo"), len("Burn")), (2, 8), "{f}");
        let (p, extras) = storage::decode_params(&md, &reads, &values)
            .unwrap()
            .unwrap();
        let want = SubnetParams {
            burn: 1_500_000_000,
            min_burn: 500_000,
            max_burn: 100_000_000_000,
            difficulty: 10_000_000,
            registration_allowed: true,
            tempo: 360,
            immunity_period: 5000,
            subnetwork_n: 250,
            max_allowed_uids: 256,
            serving_rate_limit: 50,
            // Before spec 423: the ActivityCutoff storage itself.
            activity_cutoff: 4321,
            weights_rate_limit: 100,
            weights_version: 7,
            commit_reveal_enabled: true,
            network_registered_at: 4_800_000,
            mechanism_count: if spec >= 320 { 2 } else { 1 },
            last_epoch_block: None,
            // Both fixtures have it (commit-reveal v2 predates spec 218).
            reveal_period_epochs: 2,
        };
        assert_eq!(p, want, "{f}");
        assert_eq!(
            extras.reserves,
            Some((4_000_000_000_000, 1_000_000_000_000)),
            "{f}"
        );
        assert_eq!(extras.swap_mechanism, Some(1), "{f}");
        // No NetworksAdded value: its default (false) means the subnet does not exist.
        let mut missing = values.clone();
        missing[0] = None;
        assert_eq!(
            storage::decode_params(&md, &reads, &missing).unwrap(),
            None,
            "{f}"
        );
    }
}

/// The keys a snapshot reads for our validators' weights (mechanism 0) and for the other
/// mechanisms' `LastUpdate` are Identity-hashed on both runtimes: the raw little-endian index
/// and uid after the prefix (HEAD `lib.rs:2321`, `:2336-2345`; `subnets/mechanism.rs:35-40`).
#[test]
fn weights_and_mechanism_last_update_keys_are_identity_hashed() {
    for (f, spec) in BOTH {
        let at = offline_at(metadata(f), spec);
        let w = storage::key(&at, "SubtensorModule", "Weights", (2u16, 5u16)).unwrap();
        assert_eq!(w.key.len(), 32 + 4, "{f}");
        assert_eq!(&w.key[32..], &[2, 0, 5, 0], "{f}");
        let lu = storage::key(&at, "SubtensorModule", "LastUpdate", (4096u16 + 2,)).unwrap();
        assert_eq!(&lu.key[32..], &(4096u16 + 2).to_le_bytes(), "{f}");
    }
}
