//! Label and field selectors, as tests/e2e/patching.py parses and matches them.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    Absent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
}

fn split_terms(text: &str) -> Vec<&str> {
    let (mut terms, mut depth, mut start) = (vec![], 0i32, 0);
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
}

fn values(list: &str) -> Vec<String> {
    let list = list.trim();
    let list = list.strip_prefix('(').unwrap_or(list);
    let list = list.strip_suffix(')').unwrap_or(list);
    list.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

/// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
pub fn parse_labels(text: &str) -> Vec<Requirement> {
    let mut reqs = vec![];
    for term in split_terms(text) {
        let term = term.trim();
        if term.is_empty() {
            continue;
        }
        let (key, op) = if let Some(k) = term.strip_prefix('!') {
            (k.trim(), Op::Absent)
        } else if let Some((k, v)) = term.split_once(" notin ") {
            (k.trim(), Op::NotIn(values(v)))
        } else if let Some((k, v)) = term.split_once(" in ") {
            (k.trim(), Op::In(values(v)))
        } else if let Some((k, v)) = term.split_once("!=") {
            (k.trim(), Op::NotIn(vec![v.trim().into()]))
        } else if let Some((k, v)) = term.replace("==", "=").split_once('=') {
            reqs.push(Requirement {
                key: k.trim().into(),
                op: Op::In(vec![v.trim().into()]),
            });
            continue;
        } else {
            (term, Op::Exists)
        };
        reqs.push(Requirement {
            key: key.into(),
            op,
        });
    }
    reqs
}

pub fn labels_match(reqs: &[Requirement], labels: &Value) -> bool {
    reqs.iter().all(|r| {
        let got = labels.get(&r.key).and_then(Value::as_str);
        match &r.op {
            Op::In(vs) => got.is_some_and(|g| vs.iter().any(|v| v == g)),
            Op::NotIn(vs) => got.is_none_or(|g| vs.iter().all(|v| v != g)),
            Op::Exists => labels.get(&r.key).is_some(),
            Op::Absent => labels.get(&r.key).is_none(),
        }
    })
}

/// `metadata.name` / `metadata.namespace` terms: (field, value, negated).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTerm {
    pub field: String,
    pub value: String,
    pub negate: bool,
}

pub fn parse_fields(text: &str) -> Result<Vec<FieldTerm>, String> {
    let mut out = vec![];
    for term in text.split(',').filter(|t| !t.trim().is_empty()) {
        let negate = term.contains("!=");
        let norm = term.replace("!=", "=").replace("==", "=");
        let (k, v) = norm
            .split_once('=')
            .ok_or_else(|| format!("invalid field selector: {term}"))?;
        let field = k.trim();
        if field != "metadata.name" && field != "metadata.namespace" {
            return Err(format!("field label not supported: {field}"));
        }
        out.push(FieldTerm {
            field: field.into(),
            value: v.trim().into(),
            negate,
        });
    }
    Ok(out)
}

pub fn fields_match(terms: &[FieldTerm], obj: &Value) -> bool {
    let meta = &obj["metadata"];
    terms.iter().all(|t| {
        let key = if t.field == "metadata.name" {
            "name"
        } else {
            "namespace"
        };
        (meta[key].as_str() == Some(t.value.as_str())) != t.negate
    })
}

/// What a list or watch selects: namespace, labels, fields.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub namespace: Option<String>,
    pub labels: Vec<Requirement>,
    pub fields: Vec<FieldTerm>,
}

impl Filter {
    pub fn new(
        namespace: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> Result<Self, String> {
        Ok(Filter {
            namespace: namespace.map(String::from),
            labels: parse_labels(labels.unwrap_or("")),
            fields: parse_fields(fields.unwrap_or(""))?,
        })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let meta = &obj["metadata"];
        self.namespace
            .as_deref()
            .is_none_or(|ns| meta["namespace"].as_str() == Some(ns))
            && labels_match(&self.labels, &meta["labels"])
            && fields_match(&self.fields, obj)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_operator() {
        let cases: &[(&str, Vec<(&str, Op)>)] = &[
            ("a=b", vec![("a", Op::In(vec!["b".into()]))]),
            ("a==b", vec![("a", Op::In(vec!["b".into()]))]),
            ("a!=b", vec![("a", Op::NotIn(vec!["b".into()]))]),
            (
                "a in (x, y)",
                vec![("a", Op::In(vec!["x".into(), "y".into()]))],
            ),
            ("a notin (z)", vec![("a", Op::NotIn(vec!["z".into()]))]),
            ("a", vec![("a", Op::Exists)]),
            ("!a", vec![("a", Op::Absent)]),
            (
                "a=b,c in (x,y),!d",
                vec![
                    ("a", Op::In(vec!["b".into()])),
                    ("c", Op::In(vec!["x".into(), "y".into()])),
                    ("d", Op::Absent),
                ],
            ),
            ("", vec![]),
        ];
        for (text, want) in cases {
            let want: Vec<Requirement> = want
                .iter()
                .map(|(k, op)| Requirement {
                    key: k.to_string(),
                    op: op.clone(),
                })
                .collect();
            assert_eq!(parse_labels(text), want, "{text}");
        }
    }

    #[test]
    fn matches_labels() {
        let labels = json!({"app": "miner", "tier": "gpu"});
        let cases = [
            ("app=miner", true),
            ("app=validator", false),
            ("app!=validator", true),
            ("missing!=x", true),
            ("app in (miner,validator)", true),
            ("app notin (miner)", false),
            ("tier", true),
            ("missing", false),
            ("!missing", true),
            ("!app", false),
            ("app=miner,tier=cpu", false),
            ("", true),
        ];
        for (sel, want) in cases {
            assert_eq!(labels_match(&parse_labels(sel), &labels), want, "{sel}");
        }
        assert!(!labels_match(&parse_labels("a in (x)"), &Value::Null));
        assert!(labels_match(&parse_labels("a notin (x)"), &Value::Null));
    }

    #[test]
    fn field_selectors() {
        let obj = json!({"metadata": {"name": "n1", "namespace": "ns"}});
        let cases = [
            ("metadata.name=n1", true),
            ("metadata.name==n2", false),
            ("metadata.name!=n2", true),
            ("metadata.namespace=ns,metadata.name=n1", true),
            ("metadata.namespace!=ns", false),
        ];
        for (sel, want) in cases {
            assert_eq!(
                fields_match(&parse_fields(sel).unwrap(), &obj),
                want,
                "{sel}"
            );
        }
        assert!(parse_fields("spec.nodeName=x").is_err());
    }

    #[test]
    fn filter_namespace() {
        let f = Filter::new(Some("a"), Some("x=1"), None).unwrap();
        assert!(f.matches(&json!({"metadata": {"namespace": "a", "labels": {"x": "1"}}})));
        assert!(!f.matches(&json!({"metadata": {"namespace": "b", "labels": {"x": "1"}}})));
        assert!(!f.matches(&json!({"metadata": {"namespace": "a"}})));
    }
}
