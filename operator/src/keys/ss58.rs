//! SS58 addresses (generic Substrate prefix 42, as Bittensor uses).

use super::KeyError;
use std::str::FromStr;
use subxt::utils::AccountId32;

/// SS58 (prefix 42) of a 32-byte public key.
pub fn ss58_encode(public: &[u8; 32]) -> String {
    AccountId32(*public).to_string()
}

/// The public key of an SS58 address (checksum verified).
pub fn ss58_decode(s: &str) -> Result<[u8; 32], KeyError> {
    AccountId32::from_str(s)
        .map(|a| a.0)
        .map_err(|_| KeyError::InvalidSs58(s.chars().take(64).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alice_round_trip() {
        // Alice's well-known dev key.
        let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
        let pk = ss58_decode(alice).unwrap();
        assert_eq!(
            hex::encode(pk),
            "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
        );
        assert_eq!(ss58_encode(&pk), alice);
    }

    #[test]
    fn rejects_bad_checksum() {
        assert!(ss58_decode("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ").is_err());
        assert!(ss58_decode("not-an-address").is_err());
    }
}
