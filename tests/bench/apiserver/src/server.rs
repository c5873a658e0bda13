//! HTTP: request parsing and routing, the request log, injected latency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::registry::Registry;
use crate::selector::Filter;
use crate::store::{partial_meta, State};
use crate::verbs::Target;
use crate::watch::{self, WatchParams};
use crate::{bench, list, semantics};

#[derive(Serialize, Clone)]
pub struct LogRecord {
    pub verb: &'static str,
    pub resource: Option<String>,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub code: u16,
    pub t: f64,
}

pub struct Shared {
    pub reg: Arc<Registry>,
    pub state: Mutex<State>,
    pub log: Mutex<Vec<LogRecord>>,
    pub started: Instant,
    pub latency: Duration,
    pub bookmark_interval: Duration,
    /// How long the built-in kubelet takes to act on a StatefulSet write (0: within the write).
    pub kubelet_delay: Duration,
}

pub fn json_response(code: u16, body: Vec<u8>) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("a response")
}

pub fn value_response(code: u16, v: &Value) -> Response {
    json_response(code, serde_json::to_vec(v).expect("json"))
}

fn error_response(e: &ApiError) -> Response {
    value_response(e.code, &e.body())
}

pub fn query(raw: Option<&str>) -> HashMap<String, String> {
    raw.unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a path names: a discovery document, or a resource target.
enum Route {
    Doc(Option<Value>),
    Resource(Target),
}

fn route(reg: &Registry, path: &str, server: &str) -> Result<Route, ApiError> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api"] => return Ok(Route::Doc(Some(Registry::api_versions(server)))),
        ["apis"] => return Ok(Route::Doc(Some(reg.api_group_list()))),
        ["version"] => {
            let v = serde_json::json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-bench",
                                       "platform": "linux/amd64"});
            return Ok(Route::Doc(Some(v)));
        }
        ["apis", g] => return Ok(Route::Doc(reg.api_group(g))),
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(ApiError::no_route()),
    };
    let (ns, rest) = match rest {
        [] => return Ok(Route::Doc(reg.api_resource_list(group, version))),
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(*ns), rest),
        rest => (None, rest),
    };
    let (plural, name, sub) = (rest[0], rest.get(1), rest.get(2));
    if rest.len() > 3 {
        return Err(ApiError::no_route());
    }
    let res = reg
        .find(group, version, plural)
        .ok_or_else(ApiError::no_route)?;
    let r = &reg.all[res];
    if sub.is_some_and(|s| !r.has_sub(s)) {
        return Err(ApiError::no_route());
    }
    Ok(Route::Resource(Target {
        res,
        ns: ns.filter(|_| r.namespaced).map(String::from),
        name: name.map(|s| s.to_string()),
        sub: sub.map(|s| s.to_string()),
    }))
}

fn rbac_verb(method: &Method, q: &HashMap<String, String>, named: bool) -> &'static str {
    match *method {
        Method::GET if matches!(q.get("watch").map(String::as_str), Some("true" | "1")) => "watch",
        Method::GET if named => "get",
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => "unknown",
    }
}

pub async fn handle(AxState(shared): AxState<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    if let Some(rest) = path.strip_prefix("/bench/") {
        return bench::handle(&shared, rest, req).await;
    }
    let t = shared.started.elapsed().as_secs_f64();
    let q = query(req.uri().query());
    let routed = route(
        &shared.reg,
        &path,
        req.headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or(""),
    );
    let target = match &routed {
        Ok(Route::Resource(t)) => Some(t.clone()),
        _ => None,
    };
    let verb = rbac_verb(
        req.method(),
        &q,
        target.as_ref().is_some_and(|t| t.name.is_some()),
    );
    if verb != "watch" && !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let resp = match routed {
        Ok(Route::Doc(Some(doc))) => value_response(200, &doc),
        Ok(Route::Doc(None)) => error_response(&ApiError::no_route()),
        Ok(Route::Resource(target)) => serve(&shared, verb, &target, &q, req)
            .await
            .unwrap_or_else(|e| error_response(&e)),
        Err(e) => error_response(&e),
    };
    let r = target.as_ref().map(|t| &shared.reg.all[t.res]);
    shared.log.lock().unwrap().push(LogRecord {
        verb,
        resource: r.map(|r| r.plural.clone()),
        subresource: target.as_ref().and_then(|t| t.sub.clone()),
        namespace: target.as_ref().and_then(|t| t.ns.clone()),
        name: target.as_ref().and_then(|t| t.name.clone()),
        code: resp.status().as_u16(),
        t,
    });
    resp
}

async fn serve(
    shared: &Arc<Shared>,
    verb: &'static str,
    t: &Target,
    q: &HashMap<String, String>,
    req: Request,
) -> Result<Response, ApiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let meta_only = accept.contains("as=PartialObjectMetadata");
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let ctype = ctype.split(';').next().unwrap_or("").trim().to_string();
    let filter = || {
        Filter::new(
            t.ns.as_deref(),
            q.get("labelSelector").map(String::as_str),
            q.get("fieldSelector").map(String::as_str),
        )
        .map_err(ApiError::bad_request)
    };
    let r = &shared.reg.all[t.res];
    match verb {
        "watch" => {
            let since = match q.get("resourceVersion").filter(|s| !s.is_empty()) {
                Some(s) => Some(s.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid resourceVersion {s:?}"))
                })?),
                None => None,
            };
            let p = WatchParams {
                filter: filter()?,
                res: t.res,
                meta_only,
                since,
                initial_events: q.get("sendInitialEvents").is_some_and(|v| v == "true"),
                bookmarks: q.get("allowWatchBookmarks").is_some_and(|v| v == "true"),
                timeout: Duration::from_secs(
                    q.get("timeoutSeconds")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(1800),
                ),
            };
            let body = Body::from_stream(watch::stream(shared.clone(), p));
            let resp = Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
            return Ok(resp.expect("a response"));
        }
        "list" => {
            let filter = filter()?;
            let limit = q.get("limit").and_then(|l| l.parse().ok());
            let page = list::select(
                &shared.state.lock().unwrap(),
                t.res,
                &filter,
                limit,
                q.get("continue").map(String::as_str),
            )?;
            return Ok(json_response(
                200,
                list::render(&page, &r.kind, &r.api_version(), meta_only),
            ));
        }
        _ => {}
    }
    let bytes = axum::body::to_bytes(req.into_body(), 64 << 20)
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .or_else(|_| serde_yaml::from_slice(&bytes))
            .map_err(|e| ApiError::bad_request(format!("cannot decode body: {e}")))?
    };
    let obj = {
        let mut st = shared.state.lock().unwrap();
        let obj = match verb {
            "get" => st.get(t)?,
            "create" => st.create(t, body, false)?,
            "update" => st.replace(t, body)?,
            "patch" => st.patch(t, &ctype, q.get("fieldManager").map(String::as_str), body)?,
            "delete" => st.delete(t, &body)?,
            _ => {
                return Err(ApiError::new(
                    405,
                    "MethodNotAllowed",
                    format!("{verb} is not supported"),
                ))
            }
        };
        if verb != "get" && shared.kubelet_delay.is_zero() {
            bench::kubelet_sync(&mut st, t);
        }
        obj
    };
    if verb != "get" && !shared.kubelet_delay.is_zero() {
        let (shared, t) = (shared.clone(), t.clone());
        tokio::spawn(async move {
            tokio::time::sleep(shared.kubelet_delay).await;
            bench::kubelet_sync(&mut shared.state.lock().unwrap(), &t);
        });
    }
    let out = if t.sub.as_deref() == Some("scale") {
        semantics::scale_view(r, &obj)
    } else if meta_only {
        partial_meta(&obj)
    } else {
        return Ok(json_response(
            if verb == "create" { 201 } else { 200 },
            serde_json::to_vec(&*obj).expect("json"),
        ));
    };
    Ok(value_response(
        if verb == "create" { 201 } else { 200 },
        &out,
    ))
}
