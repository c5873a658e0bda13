//! LIST: selection, `limit`/`continue` pages, and the response serialized outside the lock.

use std::io::Write;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::selector::Filter;
use crate::store::{partial_meta, State};

pub struct Page {
    pub items: Vec<Arc<Value>>,
    pub rv: u64,
    pub next: Option<String>,
}

/// Continue tokens: `<rv>:<namespace>:<name>` of the last object returned (the list's
/// resourceVersion stays the first page's, as with the apiserver's snapshot).
fn parse_token(token: &str) -> Result<(u64, String, String), ApiError> {
    let mut parts = token.splitn(3, ':');
    let bad = || ApiError::bad_request(format!("invalid continue token {token:?}"));
    let rv = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let ns = parts.next().ok_or_else(bad)?.to_string();
    let name = parts.next().ok_or_else(bad)?.to_string();
    Ok((rv, ns, name))
}

pub fn select(
    st: &State,
    res: usize,
    filter: &Filter,
    limit: Option<usize>,
    token: Option<&str>,
) -> Result<Page, ApiError> {
    let (rv, start) = match token.filter(|t| !t.is_empty()) {
        Some(t) => {
            let (rv, ns, name) = parse_token(t)?;
            (rv, Some((ns, name)))
        }
        None => (st.rv, None),
    };
    let limit = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
    let mut items: Vec<Arc<Value>> = st
        .range(res, filter.namespace.as_deref(), start)
        .filter(|o| filter.matches(o))
        .take(limit.saturating_add(1))
        .cloned()
        .collect();
    let next = (items.len() > limit).then(|| {
        items.truncate(limit);
        let meta = &items[limit - 1]["metadata"];
        format!(
            "{rv}:{}:{}",
            meta["namespace"].as_str().unwrap_or(""),
            meta["name"].as_str().unwrap_or("")
        )
    });
    Ok(Page { items, rv, next })
}

/// The list document: `<Kind>List`, or `PartialObjectMetadataList` for metadata-only requests.
pub fn render(page: &Page, kind: &str, api_version: &str, meta_only: bool) -> Vec<u8> {
    let mut meta = json!({"resourceVersion": page.rv.to_string()});
    if let Some(next) = &page.next {
        meta["continue"] = json!(next);
    }
    let (kind, api_version) = if meta_only {
        ("PartialObjectMetadataList".to_string(), "meta.k8s.io/v1")
    } else {
        (format!("{kind}List"), api_version)
    };
    let mut out = Vec::with_capacity(256 + page.items.len() * 1024);
    write!(
        out,
        "{{\"kind\":{},\"apiVersion\":{},\"metadata\":{},\"items\":[",
        json!(kind),
        json!(api_version),
        meta
    )
    .expect("writing to a Vec");
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if meta_only {
            serde_json::to_writer(&mut out, &partial_meta(item))
        } else {
            serde_json::to_writer(&mut out, &**item)
        }
        .expect("writing to a Vec");
    }
    out.extend_from_slice(b"]}");
    out
}
