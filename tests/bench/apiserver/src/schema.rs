//! CRD structural-schema defaults (`default:` in openAPIV3Schema), as the apiserver applies them
//! on write: a missing property with a default gets it, then defaults apply within it; array
//! items and additionalProperties values are defaulted by their schemas. Off unless
//! `--crd-defaults`: the Python emulator (the operator's e2e reference) does not default.

use serde_json::Value;

pub fn apply_defaults(schema: &Value, obj: &mut Value) {
    match obj {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for (key, sub) in props.into_iter().flatten() {
                if !map.contains_key(key) {
                    if let Some(default) = sub.get("default") {
                        map.insert(key.clone(), default.clone());
                    }
                }
                if let Some(child) = map.get_mut(key) {
                    apply_defaults(sub, child);
                }
            }
            if let Some(extra) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                for (key, child) in map.iter_mut() {
                    if !props.is_some_and(|p| p.contains_key(key)) {
                        apply_defaults(extra, child);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                items.iter_mut().for_each(|i| apply_defaults(sub, i));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_fill_missing_properties_only() {
        let schema = json!({"properties": {"spec": {"properties": {
            "port": {"default": 8091},
            "axon": {"default": {}, "properties": {"serve": {"default": true}}},
            "list": {"items": {"properties": {"w": {"default": 1}}}},
            "map": {"additionalProperties": {"properties": {"x": {"default": "d"}}}},
        }}}});
        let cases = [
            (json!({}), json!({})),
            (
                json!({"spec": {}}),
                json!({"spec": {"port": 8091, "axon": {"serve": true}}}),
            ),
            (
                json!({"spec": {"port": 1, "axon": {"serve": false}}}),
                json!({"spec": {"port": 1, "axon": {"serve": false}}}),
            ),
            (
                json!({"spec": {"list": [{}, {"w": 2}], "map": {"a": {}}}}),
                json!({"spec": {"port": 8091, "axon": {"serve": true}, "list": [{"w": 1}, {"w": 2}], "map": {"a": {"x": "d"}}}}),
            ),
        ];
        for (mut obj, want) in cases {
            apply_defaults(&schema, &mut obj);
            assert_eq!(obj, want);
        }
    }
}
