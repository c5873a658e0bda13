//! Transaction-pool rejections by name. A node answers an invalid transaction with JSON-RPC
//! error 1010 and a text such as `Custom error: 11` (subtensor's own checks) or `Transaction is
//! outdated` (`InvalidTransaction::Stale`); chopsticks phrases them as `{"invalid":{"custom":11}}`.
//! Either way the caller gets a [`Rejection`] with the code and its name.

use subxt::ext::jsonrpsee::core::ClientError;

use crate::chain::Rejection;

/// subtensor's `CustomTransactionError` codes, HEAD `common/src/transaction_error.rs:3-79`.
/// Code 0 is `ColdkeyInSwapSchedule` in the source (deprecated name), which the module error
/// `ColdkeySwapAnnounced` maps to (`pallets/subtensor/src/extensions/subtensor.rs:56`).
pub const CUSTOM_ERRORS: [(u8, &str); 29] = [
    (0, "ColdkeyInSwapSchedule"),
    (1, "StakeAmountTooLow"),
    (2, "BalanceTooLow"),
    (3, "SubnetNotExists"),
    (4, "HotkeyAccountDoesntExist"),
    (5, "NotEnoughStakeToWithdraw"),
    (6, "RateLimitExceeded"),
    (7, "InsufficientLiquidity"),
    (8, "SlippageTooHigh"),
    (9, "TransferDisallowed"),
    (10, "HotKeyNotRegisteredInNetwork"),
    (11, "InvalidIpAddress"),
    (12, "ServingRateLimitExceeded"),
    (13, "InvalidPort"),
    (14, "ZeroMaxAmount"),
    (15, "InvalidRevealRound"),
    (16, "CommitNotFound"),
    (17, "CommitBlockNotInRevealRange"),
    (18, "InputLengthsUnequal"),
    (19, "UidNotFound"),
    (20, "EvmKeyAssociateRateLimitExceeded"),
    (21, "ColdkeySwapDisputed"),
    (22, "InvalidRealAccount"),
    (23, "FailedShieldedTxParsing"),
    (24, "InvalidShieldedTxPubKeyHash"),
    (25, "NonAssociatedColdKey"),
    (26, "DelegateTakeTooLow"),
    (27, "DelegateTakeTooHigh"),
    (255, "BadRequest"),
];

/// The name of a custom code (`Custom(n)` with an unknown n stays `Custom`).
pub fn custom_name(code: u8) -> &'static str {
    CUSTOM_ERRORS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Custom", |(_, n)| n)
}

/// Substrate's `InvalidTransaction` kinds by the phrases nodes use for them (the Display texts
/// of `sp_runtime::transaction_validity`, and chopsticks' JSON keys).
const KINDS: [(&str, &[&str]); 9] = [
    ("Stale", &["outdated", "\"stale\"", "stale"]),
    ("Future", &["valid in the future", "\"future\""]),
    ("Payment", &["pay some fees", "\"payment\""]),
    ("BadProof", &["bad signature", "\"badproof\"", "badproof"]),
    (
        "AncientBirthBlock",
        &["ancient birth block", "ancientbirthblock"],
    ),
    (
        "ExhaustsResources",
        &["exhaust the block limits", "exhaustsresources"],
    ),
    ("Call", &["call is not expected", "\"call\""]),
    ("BadSigner", &["invalid signing address", "badsigner"]),
    ("AlreadyImported", &["already imported"]),
];

/// Parses a node's rejection text. `None` when it names no known rejection.
pub fn parse(message: &str) -> Option<Rejection> {
    let lower = message.to_ascii_lowercase();
    let rejection = |code: Option<u8>, name: &str| Rejection {
        code,
        name: name.to_string(),
        message: message.chars().take(300).collect(),
    };
    if let Some(code) = custom_code(&lower) {
        return Some(rejection(Some(code), custom_name(code)));
    }
    KINDS
        .iter()
        .find(|(_, phrases)| phrases.iter().any(|p| lower.contains(p)))
        .map(|(name, _)| rejection(None, name))
}

/// The number after `custom error: `, `custom(` or `"custom":`.
fn custom_code(lower: &str) -> Option<u8> {
    ["custom error: ", "custom(", "\"custom\":"]
        .iter()
        .find_map(|marker| {
            let rest = &lower[lower.find(marker)? + marker.len()..];
            let digits: String = rest
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
}

/// The rejection in an RPC error (walking its sources), or `None` when it is no rejection.
pub fn from_error(err: &(dyn std::error::Error + 'static)) -> Option<Rejection> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        // subxt's RPC error boxes the client error without exposing it as a source.
        let client = match e.downcast_ref::<subxt::rpcs::Error>() {
            Some(subxt::rpcs::Error::Client(inner)) => inner.downcast_ref::<ClientError>(),
            _ => e.downcast_ref::<ClientError>(),
        };
        if let Some(ClientError::Call(obj)) = client {
            let text = match obj.data() {
                Some(d) => format!("{}: {}", obj.message(), d.get()),
                None => obj.message().to_string(),
            };
            return parse(&text).or_else(|| {
                (obj.code() == 1010).then(|| Rejection {
                    code: None,
                    name: "Invalid".into(),
                    message: text.chars().take(300).collect(),
                })
            });
        }
        cur = e.source();
    }
    parse(&err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_are_named() {
        let cases = [
            (
                "Invalid Transaction: \"Custom error: 11\"",
                Some(11),
                "InvalidIpAddress",
            ),
            ("Custom error: 0", Some(0), "ColdkeyInSwapSchedule"),
            (
                "{\"invalid\":{\"custom\":21}}",
                Some(21),
                "ColdkeySwapDisputed",
            ),
            ("InvalidTransaction::Custom(255)", Some(255), "BadRequest"),
            ("Custom error: 99", Some(99), "Custom"),
            (
                "Invalid Transaction: Transaction is outdated",
                None,
                "Stale",
            ),
            ("Transaction will be valid in the future", None, "Future"),
            (
                "Inability to pay some fees (e.g. account balance too low)",
                None,
                "Payment",
            ),
            ("{\"invalid\":{\"badProof\":null}}", None, "BadProof"),
            (
                "Transaction has an ancient birth block",
                None,
                "AncientBirthBlock",
            ),
        ];
        for (text, code, name) in cases {
            let r = parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((r.code, r.name.as_str()), (code, name), "{text}");
            assert_eq!(r.message, text);
        }
        assert_eq!(parse("connection reset"), None);
    }

    #[test]
    fn the_table_follows_head() {
        // Every code 0..=27 once, then 255 (HEAD common/src/transaction_error.rs).
        let codes: Vec<u8> = CUSTOM_ERRORS.iter().map(|(c, _)| *c).collect();
        let mut want: Vec<u8> = (0..=27).collect();
        want.push(255);
        assert_eq!(codes, want);
        assert_eq!(custom_name(25), "NonAssociatedColdKey");
    }

    #[test]
    fn rpc_errors_are_read_through_their_sources() {
        use subxt::ext::jsonrpsee::types::ErrorObject;
        let answered = subxt::rpcs::Error::Client(Box::new(ClientError::Call(ErrorObject::owned(
            1010,
            "Invalid Transaction",
            Some("Custom error: 12"),
        ))));
        let r = from_error(&answered).unwrap();
        assert_eq!(
            (r.code, r.name.as_str()),
            (Some(12), "ServingRateLimitExceeded")
        );
        let opaque = subxt::rpcs::Error::Client(Box::new(ClientError::Call(ErrorObject::owned(
            1010,
            "Invalid Transaction",
            None::<()>,
        ))));
        assert_eq!(from_error(&opaque).unwrap().name, "Invalid");
    }
}
