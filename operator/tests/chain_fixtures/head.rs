//! Runtime metadata in HEAD's layout (spec 425), derived from the real spec-393 mainnet metadata
//! by applying exactly the changes the Subtensor source shows between 393 and HEAD (no HEAD
//! metadata file exists to copy):
//! - `SubtensorModule::register_limit(netuid, hotkey, limit_price: u64)`, call 134
//!   (`pallets/subtensor/src/macros/dispatches.rs:2491-2506`, since spec 397);
//! - error `RegistrationPriceLimitExceeded` (`macros/errors.rs`);
//! - `Metagraph.activity_cutoff` as `Compact<u64>` (`rpc_info/metagraph.rs:57`, since 423);
//! - storage `AlphaV2` and `TotalHotkeySharesV2` holding `SafeFloat { mantissa: u128,
//!   exponent: i64 }` (`lib.rs:1511-1532`, `primitives/share-pool/src/lib.rs:25-30`, since 397).

use scale_info::form::PortableForm;
use scale_info::{Field, PortableType, Type, TypeDef, TypeDefComposite, TypeDefPrimitive};
use subxt::ext::frame_metadata::v16::RuntimeMetadataV16;
use subxt::Metadata;

use super::mainnet_v16;

pub const REGISTER_LIMIT_INDEX: u8 = 134;

fn primitive(m: &mut RuntimeMetadataV16, p: TypeDefPrimitive) -> u32 {
    if let Some(t) = m
        .types
        .types
        .iter()
        .find(|t| t.ty.type_def == TypeDef::Primitive(p.clone()))
    {
        return t.id;
    }
    add_type(
        m,
        Type::new(Default::default(), vec![], TypeDef::Primitive(p), vec![]),
    )
}

fn add_type(m: &mut RuntimeMetadataV16, ty: Type<PortableForm>) -> u32 {
    let id = m.types.types.len() as u32;
    m.types.types.push(PortableType { id, ty });
    id
}

fn ty_mut(m: &mut RuntimeMetadataV16, id: u32) -> &mut Type<PortableForm> {
    &mut m.types.types.iter_mut().find(|t| t.id == id).unwrap().ty
}

fn subtensor(m: &RuntimeMetadataV16) -> usize {
    m.pallets
        .iter()
        .position(|p| p.name == "SubtensorModule")
        .unwrap()
}

fn add_register_limit(m: &mut RuntimeMetadataV16) {
    let u64_ty = primitive(m, TypeDefPrimitive::U64);
    let call_ty = m.pallets[subtensor(m)].calls.as_ref().unwrap().ty.id;
    let TypeDef::Variant(v) = &mut ty_mut(m, call_ty).type_def else {
        panic!("call enum")
    };
    let mut limit = v
        .variants
        .iter()
        .find(|v| v.name == "burned_register")
        .unwrap()
        .clone();
    limit.name = "register_limit".into();
    limit.index = REGISTER_LIMIT_INDEX;
    let mut field = limit.fields[0].clone();
    field.name = Some("limit_price".into());
    field.ty = u64_ty.into();
    limit.fields.push(field);
    v.variants.push(limit);
}

fn add_price_limit_error(m: &mut RuntimeMetadataV16) {
    let err_ty = m.pallets[subtensor(m)].error.as_ref().unwrap().ty.id;
    let TypeDef::Variant(v) = &mut ty_mut(m, err_ty).type_def else {
        panic!("error enum")
    };
    // Indices differ between runtimes (134 at HEAD, taken by another error at 393); names are
    // what the client decodes to.
    let next = v.variants.iter().map(|x| x.index).max().unwrap() + 1;
    let mut e = v.variants[0].clone();
    e.name = "RegistrationPriceLimitExceeded".into();
    e.index = next;
    e.fields.clear();
    v.variants.push(e);
}

fn widen_activity_cutoff(m: &mut RuntimeMetadataV16) {
    let u64_ty = primitive(m, TypeDefPrimitive::U64);
    let compact_u64 = m
        .types
        .types
        .iter()
        .find(|t| matches!(&t.ty.type_def, TypeDef::Compact(c) if c.type_param.id == u64_ty))
        .map(|t| t.id)
        .unwrap();
    for t in m.types.types.iter_mut() {
        if t.ty.path.segments.last().map(String::as_str) != Some("Metagraph") {
            continue;
        }
        let TypeDef::Composite(c) = &mut t.ty.type_def else {
            continue;
        };
        for f in c.fields.iter_mut() {
            if f.name.as_deref() == Some("activity_cutoff") {
                f.ty = compact_u64.into();
            }
        }
    }
}

fn add_v2_shares(m: &mut RuntimeMetadataV16) {
    let u128_ty = primitive(m, TypeDefPrimitive::U128);
    let i64_ty = primitive(m, TypeDefPrimitive::I64);
    let field = |name: &str, ty: u32| Field {
        name: Some(name.into()),
        ty: ty.into(),
        type_name: None,
        docs: vec![],
    };
    let safe_float = add_type(
        m,
        Type::new(
            scale_info::Path {
                segments: vec!["share_pool".into(), "SafeFloat".into()],
            },
            vec![],
            TypeDef::Composite(TypeDefComposite {
                fields: vec![field("mantissa", u128_ty), field("exponent", i64_ty)],
            }),
            vec![],
        ),
    );
    let i = subtensor(m);
    let storage = m.pallets[i].storage.as_mut().unwrap();
    for (old, new) in [
        ("Alpha", "AlphaV2"),
        ("TotalHotkeyShares", "TotalHotkeySharesV2"),
    ] {
        let mut entry = storage
            .entries
            .iter()
            .find(|e| e.name == old)
            .unwrap()
            .clone();
        entry.name = new.into();
        if let subxt::ext::frame_metadata::v16::StorageEntryType::Map { value, .. } = &mut entry.ty
        {
            *value = safe_float.into();
        }
        // ValueQuery default: SafeFloat zero (mantissa 0: 16 bytes, exponent 0: 8 bytes).
        entry.default = vec![0; 24];
        storage.entries.push(entry);
    }
}

/// Mainnet metadata in HEAD's layout (see the module docs for what is changed).
pub fn head_like() -> Metadata {
    let mut m = mainnet_v16();
    add_register_limit(&mut m);
    add_price_limit_error(&mut m);
    widen_activity_cutoff(&mut m);
    add_v2_shares(&mut m);
    Metadata::from_v16(m).unwrap()
}
