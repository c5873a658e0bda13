//! Building realistic runtime values from a registry's own types (to encode test inputs with
//! the exact layout a runtime declares).

use scale_info::{PortableRegistry, TypeDef, TypeDefPrimitive};
use subxt::ext::scale_value::{Composite, Value};

/// A zero value of any type, built from the registry (first variant, empty sequences).
pub fn zero(id: u32, types: &PortableRegistry) -> Value {
    let ty = types.resolve(id).unwrap();
    let fields = |fs: &[scale_info::Field<scale_info::form::PortableForm>]| -> Composite<()> {
        if fs.iter().all(|f| f.name.is_some()) && !fs.is_empty() {
            Composite::named(
                fs.iter()
                    .map(|f| (f.name.clone().unwrap(), zero(f.ty.id, types))),
            )
        } else {
            Composite::unnamed(fs.iter().map(|f| zero(f.ty.id, types)))
        }
    };
    match &ty.type_def {
        TypeDef::Composite(c) => Value {
            value: subxt::ext::scale_value::ValueDef::Composite(fields(&c.fields)),
            context: (),
        },
        TypeDef::Variant(v) => {
            Value::variant(v.variants[0].name.clone(), fields(&v.variants[0].fields))
        }
        TypeDef::Sequence(_) | TypeDef::BitSequence(_) => Value::unnamed_composite([]),
        TypeDef::Array(a) => {
            Value::unnamed_composite((0..a.len).map(|_| zero(a.type_param.id, types)))
        }
        TypeDef::Tuple(t) => Value::unnamed_composite(t.fields.iter().map(|f| zero(f.id, types))),
        TypeDef::Compact(c) => zero(c.type_param.id, types),
        TypeDef::Primitive(TypeDefPrimitive::Bool) => Value::bool(false),
        TypeDef::Primitive(TypeDefPrimitive::Str) => Value::string(""),
        TypeDef::Primitive(TypeDefPrimitive::Char) => Value::char('a'),
        TypeDef::Primitive(_) => Value::u128(0),
    }
}

pub fn set(v: &mut Value, name: &str, new: Value) {
    let subxt::ext::scale_value::ValueDef::Composite(Composite::Named(fs)) = &mut v.value else {
        panic!()
    };
    let slot = fs
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    slot.1 = new;
}

pub fn list<I: IntoIterator<Item = Value>>(i: I) -> Value {
    Value::unnamed_composite(i)
}
