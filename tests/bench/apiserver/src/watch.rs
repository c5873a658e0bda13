//! WATCH: events after a resourceVersion from the event log (or the current objects first),
//! selectors, bookmarks, `sendInitialEvents`, `timeoutSeconds`; newline-delimited JSON.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::json;

use crate::selector::Filter;
use crate::server::Shared;
use crate::store::Event;

pub struct WatchParams {
    pub filter: Filter,
    pub res: usize,
    pub meta_only: bool,
    pub since: Option<u64>,
    pub initial_events: bool,
    pub bookmarks: bool,
    pub timeout: Duration,
}

struct Stream {
    shared: Arc<Shared>,
    p: WatchParams,
    rx: tokio::sync::watch::Receiver<u64>,
    position: u64,
    deadline: Instant,
    last_write: Instant,
    first: Option<Bytes>,
}

fn line(out: &mut BytesMut, kind: &str, object: &[u8]) {
    out.put_slice(b"{\"type\":\"");
    out.put_slice(kind.as_bytes());
    out.put_slice(b"\",\"object\":");
    out.put_slice(object);
    out.put_slice(b"}\n");
}

/// The event type a watcher with `filter` sees: objects entering or leaving the selection show
/// as ADDED or DELETED, as with the apiserver.
pub fn translate(filter: &Filter, res: usize, e: &Event) -> Option<&'static str> {
    if e.res != res {
        return None;
    }
    let now = filter.matches(&e.head);
    let before = e.old_head.as_ref().is_some_and(|o| filter.matches(o));
    match (e.kind, now, before) {
        ("MODIFIED", true, true) => Some("MODIFIED"),
        ("MODIFIED", true, false) => Some("ADDED"),
        ("MODIFIED", false, true) => Some("DELETED"),
        ("MODIFIED", _, _) => None,
        (kind, true, _) => Some(kind),
        _ => None,
    }
}

impl Stream {
    fn bookmark(&self, out: &mut BytesMut, annotate: bool) {
        let r = &self.shared.reg.all[self.p.res];
        let mut meta = json!({"resourceVersion": self.position.to_string()});
        if annotate {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({"kind": r.kind, "apiVersion": r.api_version(), "metadata": meta});
        line(out, "BOOKMARK", &serde_json::to_vec(&obj).expect("json"));
    }

    /// The initial ADDED events (sendInitialEvents or no resourceVersion), then the position.
    fn start(&mut self) {
        if !(self.p.initial_events || self.p.since.is_none_or(|s| s == 0)) {
            self.position = self.p.since.unwrap_or(0);
            return;
        }
        let (items, rv) = {
            let st = self.shared.state.lock().unwrap();
            let items: Vec<_> = st
                .range(self.p.res, self.p.filter.namespace.as_deref(), None)
                .filter(|o| self.p.filter.matches(o))
                .cloned()
                .collect();
            (items, st.rv)
        };
        self.position = rv;
        let mut out = BytesMut::new();
        for obj in items {
            let bytes = if self.p.meta_only {
                serde_json::to_vec(&crate::store::partial_meta(&obj))
            } else {
                serde_json::to_vec(&*obj)
            };
            line(&mut out, "ADDED", &bytes.expect("json"));
        }
        if self.p.initial_events {
            self.bookmark(&mut out, true);
        }
        self.first = Some(out.freeze());
    }

    async fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(first) = self.first.take().filter(|b| !b.is_empty()) {
            self.last_write = Instant::now();
            return Some(first);
        }
        let interval = self.shared.bookmark_interval;
        loop {
            self.rx.borrow_and_update();
            let events: Vec<Arc<Event>> = {
                let st = self.shared.state.lock().unwrap();
                st.events_after(self.position).to_vec()
            };
            let mut out = BytesMut::new();
            for e in &events {
                self.position = e.rv;
                if let Some(kind) = translate(&self.p.filter, self.p.res, e) {
                    line(&mut out, kind, e.object_bytes(self.p.meta_only));
                }
            }
            let now = Instant::now();
            if out.is_empty() && self.p.bookmarks && now.duration_since(self.last_write) >= interval
            {
                self.bookmark(&mut out, false);
            }
            if !out.is_empty() {
                self.last_write = now;
                return Some(out.freeze());
            }
            if now >= self.deadline {
                return None;
            }
            let mut wait = self.deadline - now;
            if self.p.bookmarks {
                wait = wait.min((self.last_write + interval).saturating_duration_since(now));
            }
            let _ = tokio::time::timeout(wait, self.rx.changed()).await;
        }
    }
}

/// The body stream of one watch.
pub fn stream(
    shared: Arc<Shared>,
    p: WatchParams,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let now = Instant::now();
    let rx = shared.state.lock().unwrap().subscribe();
    let mut s = Stream {
        deadline: now + p.timeout,
        shared,
        p,
        rx,
        position: 0,
        last_write: now,
        first: None,
    };
    s.start();
    futures::stream::unfold(s, |mut s| async move {
        s.next_chunk().await.map(|b| (Ok(b), s))
    })
}
