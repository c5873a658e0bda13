//! Reading dynamically decoded SCALE values (`scale_value::Value`) by field name, tolerant of
//! the shapes runtimes give the same number: plain or compact integers, newtypes (`NetUid(u16)`,
//! `AlphaBalance(u64)`), fixed-point shares (`U64F64 { bits }`) and `SafeFloat { mantissa,
//! exponent }`. Runtime upgrades change these shapes without changing the meaning.

use subxt::ext::scale_value::{Composite, Primitive, Value, ValueDef};

/// Decode bytes of the metadata type `ty` into a dynamic value.
pub fn decode(
    bytes: &[u8],
    ty: u32,
    types: &scale_info::PortableRegistry,
) -> Result<Value<()>, String> {
    use scale_decode::DecodeAsType;
    Value::<()>::decode_as_type(&mut &bytes[..], ty, types).map_err(|e| e.to_string())
}

/// A named field of a composite (or of a variant's fields).
pub fn field<'a>(v: &'a Value<()>, name: &str) -> Option<&'a Value<()>> {
    let fields = match &v.value {
        ValueDef::Composite(c) => c,
        ValueDef::Variant(var) => &var.values,
        _ => return None,
    };
    match fields {
        Composite::Named(fs) => fs.iter().find(|(n, _)| n == name).map(|(_, v)| v),
        Composite::Unnamed(_) => None,
    }
}

/// The values of a composite, in order, named or not.
pub fn items(v: &Value<()>) -> Option<Vec<&Value<()>>> {
    let c = match &v.value {
        ValueDef::Composite(c) => c,
        ValueDef::Variant(var) => &var.values,
        _ => return None,
    };
    Some(c.values().collect())
}

/// A sequence's elements (a composite of unnamed values).
pub fn list(v: &Value<()>) -> Option<Vec<&Value<()>>> {
    match &v.value {
        ValueDef::Composite(Composite::Unnamed(vs)) => Some(vs.iter().collect()),
        // An empty sequence may come back as an empty named composite.
        ValueDef::Composite(Composite::Named(fs)) if fs.is_empty() => Some(Vec::new()),
        _ => None,
    }
}

/// The variant's name and its values (`Some`/`None`, `Ok`/`Err`, an enum).
pub fn variant(v: &Value<()>) -> Option<(&str, Vec<&Value<()>>)> {
    match &v.value {
        ValueDef::Variant(var) => Some((var.name.as_str(), var.values.values().collect())),
        _ => None,
    }
}

/// Unwraps single-field composites (newtypes), however deep.
fn unwrap_newtype(v: &Value<()>) -> &Value<()> {
    let mut cur = v;
    while let ValueDef::Composite(c) = &cur.value {
        let mut it = c.values();
        match (it.next(), it.next()) {
            (Some(only), None) => cur = only,
            _ => break,
        }
    }
    cur
}

/// An unsigned integer of any width, through newtypes.
pub fn uint(v: &Value<()>) -> Option<u128> {
    match &unwrap_newtype(v).value {
        ValueDef::Primitive(Primitive::U128(n)) => Some(*n),
        ValueDef::Primitive(Primitive::I128(n)) => u128::try_from(*n).ok(),
        _ => None,
    }
}

pub fn u64_of(v: &Value<()>) -> Option<u64> {
    uint(v).and_then(|n| u64::try_from(n).ok())
}

pub fn bool_of(v: &Value<()>) -> Option<bool> {
    match &unwrap_newtype(v).value {
        ValueDef::Primitive(Primitive::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// A 32-byte account id: a composite of 32 u8 values, possibly inside a newtype.
pub fn account(v: &Value<()>) -> Option<[u8; 32]> {
    let bytes = bytes_of(v)?;
    bytes.try_into().ok()
}

/// A byte sequence or array: the innermost composite whose values are all u8.
pub fn bytes_of(v: &Value<()>) -> Option<Vec<u8>> {
    let mut cur = v;
    loop {
        let ValueDef::Composite(c) = &cur.value else {
            return None;
        };
        let vals: Vec<&Value<()>> = c.values().collect();
        if vals.len() == 1 && !matches!(vals[0].value, ValueDef::Primitive(_)) {
            cur = vals[0];
            continue;
        }
        return vals
            .iter()
            .map(|b| uint(b).and_then(|n| u8::try_from(n).ok()))
            .collect();
    }
}

/// A non-negative number of any of the runtimes' share/price shapes, as f64: an integer,
/// a fixed-point `{ bits }` with `frac_bits` fractional bits, or `SafeFloat { mantissa,
/// exponent }` (value = mantissa × 10^exponent, HEAD `primitives/share-pool/src/lib.rs:25-30`).
pub fn number(v: &Value<()>, frac_bits: u32) -> Option<f64> {
    if let (Some(m), Some(e)) = (field(v, "mantissa"), field(v, "exponent")) {
        let m = uint(m)? as f64;
        let e = match &unwrap_newtype(e).value {
            ValueDef::Primitive(Primitive::I128(n)) => i32::try_from(*n).ok()?,
            ValueDef::Primitive(Primitive::U128(n)) => i32::try_from(*n).ok()?,
            _ => return None,
        };
        return Some(m * 10f64.powi(e));
    }
    if let Some(bits) = field(v, "bits") {
        return Some(uint(bits)? as f64 / 2f64.powi(frac_bits as i32));
    }
    uint(v).map(|n| n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(n: u128) -> Value<()> {
        Value::u128(n)
    }

    #[test]
    fn numbers_come_through_their_shapes() {
        let newtype = Value::unnamed_composite([u(7)]);
        assert_eq!(uint(&newtype), Some(7));
        assert_eq!(
            u64_of(&Value::unnamed_composite([newtype.clone()])),
            Some(7)
        );
        assert_eq!(u64_of(&u(u128::MAX)), None);
        // U64F64 { bits }: 1.5 = 3 << 63
        let fixed = Value::named_composite([("bits", u(3u128 << 63))]);
        assert_eq!(number(&fixed, 64), Some(1.5));
        let safe = Value::named_composite([("mantissa", u(25)), ("exponent", Value::i128(-1))]);
        assert_eq!(number(&safe, 64), Some(2.5));
        assert_eq!(number(&u(9), 64), Some(9.0));
        assert_eq!(bool_of(&Value::bool(true)), Some(true));
        assert_eq!(uint(&Value::bool(true)), None);
    }

    #[test]
    fn accounts_and_fields() {
        let id = Value::unnamed_composite((0..32).map(u));
        let wrapped = Value::unnamed_composite([id.clone()]);
        let want: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(account(&id), Some(want));
        assert_eq!(account(&wrapped), Some(want));
        assert_eq!(account(&Value::unnamed_composite([u(1), u(2)])), None);
        let s = Value::named_composite([("a", u(1)), ("b", Value::unnamed_composite([]))]);
        assert_eq!(field(&s, "a").and_then(uint), Some(1));
        assert!(field(&s, "zz").is_none());
        assert_eq!(list(field(&s, "b").unwrap()).unwrap().len(), 0);
        let some = Value::variant("Some", Composite::unnamed([u(3)]));
        let (name, vals) = variant(&some).unwrap();
        assert_eq!((name, vals.len()), ("Some", 1));
    }
}
