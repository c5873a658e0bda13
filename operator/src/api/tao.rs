//! TAO amounts: decimal strings in `spec`, integer rao in `status`.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use std::{borrow::Cow, fmt};

/// 1 TAO = 10^9 rao.
pub const RAO_PER_TAO: u64 = 1_000_000_000;
/// The pattern every TAO string in `spec` must match.
pub const TAO_PATTERN: &str = r"^[0-9]+(\.[0-9]{1,9})?$";

/// A TAO amount as written by users: a decimal string with at most 9 decimals (`"0.5"`, `"1000"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tao(pub String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a TAO amount (a decimal with at most 9 decimals, e.g. \"0.5\") or is too large"
)]
pub struct TaoParseError(pub String);

impl Tao {
    /// The amount in rao, or an error for anything that does not match [`TAO_PATTERN`] or overflows u64.
    pub fn to_rao(&self) -> Result<u64, TaoParseError> {
        parse_tao(&self.0)
    }

    pub fn from_rao(rao: u64) -> Self {
        Tao(format_tao(rao))
    }
}

impl fmt::Display for Tao {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Tao {
    fn from(s: &str) -> Self {
        Tao(s.to_string())
    }
}

impl JsonSchema for Tao {
    fn schema_name() -> Cow<'static, str> {
        "Tao".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": TAO_PATTERN,
            "description": "An amount of TAO as a decimal string with at most 9 decimals, e.g. \"0.5\"."
        })
    }
}

/// Parses a decimal TAO string into rao without going through floating point.
pub fn parse_tao(s: &str) -> Result<u64, TaoParseError> {
    let err = || TaoParseError(s.to_string());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (s.contains('.') && (!digits(frac) || frac.len() > 9)) {
        return Err(err());
    }
    let whole: u64 = int.parse().map_err(|_| err())?;
    let frac_rao: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().map_err(|_| err())?
    };
    whole
        .checked_mul(RAO_PER_TAO)
        .and_then(|r| r.checked_add(frac_rao))
        .ok_or_else(err)
}

/// Formats rao as a decimal TAO string without trailing zeros (`480000000` → `"0.48"`).
pub fn format_tao(rao: u64) -> String {
    let whole = rao / RAO_PER_TAO;
    let frac = rao % RAO_PER_TAO;
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:09}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_amounts() {
        for (s, rao) in [
            ("0", 0),
            ("1", RAO_PER_TAO),
            ("0.5", 500_000_000),
            ("0.000000001", 1),
            ("1000", 1000 * RAO_PER_TAO),
            ("0.48", 480_000_000),
            ("18446744073.709551615", u64::MAX),
        ] {
            assert_eq!(parse_tao(s), Ok(rao), "{s}");
        }
    }

    #[test]
    fn rejects_invalid_amounts() {
        for s in [
            "",
            ".",
            "1.",
            ".5",
            "-1",
            "1e3",
            "0.0000000001",
            "1,5",
            " 1",
            "abc",
            "18446744073.709551616",
            "99999999999999999999",
        ] {
            assert!(parse_tao(s).is_err(), "{s:?} should be rejected");
        }
    }

    #[test]
    fn formats_round_trip() {
        for (rao, s) in [
            (0, "0"),
            (480_000_000, "0.48"),
            (1, "0.000000001"),
            (5 * RAO_PER_TAO, "5"),
        ] {
            assert_eq!(format_tao(rao), s);
            assert_eq!(parse_tao(s), Ok(rao));
        }
    }

    #[test]
    fn pattern_agrees_with_parser() {
        // The CRD pattern and the parser must accept the same strings (u64 overflow aside).
        let re_like = |s: &str| {
            let (i, f) = s.split_once('.').unwrap_or((s, ""));
            !i.is_empty()
                && i.bytes().all(|b| b.is_ascii_digit())
                && (!s.contains('.')
                    || (!f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit())))
        };
        for s in ["1", "1.5", "1.", ".1", "1.1234567891", "x"] {
            assert_eq!(re_like(s), parse_tao(s).is_ok(), "{s}");
        }
    }
}
