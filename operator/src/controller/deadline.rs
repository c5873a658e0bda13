//! Per-request deadlines on the Kubernetes client. kube's client has none by default: a request
//! the API server never answered held its reconcile until the 150 s reconcile timeout.
//!
//! Every request but a watch must be answered, body included, within the limit. A watch must
//! only start (its response headers) within it: its stream is quiet for as long as nothing
//! changes, and is bounded instead by its server-side `timeoutSeconds` and by kube-runtime's
//! watcher, which restarts a watch that sent nothing, not even a bookmark, for `timeoutSeconds`
//! plus 5 s. A socket read timeout (kube's `Config::read_timeout`) would also cut healthy quiet
//! watches, so it stays off.

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};
use tower_layer::Layer;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the limit bounds for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// Answer and body (get, list, create, patch, delete, Events, the Lease).
    Whole,
    /// Only the start: a watch's stream is bounded by the watcher (see the module doc).
    Start,
}

/// Watches are GETs with `watch=true` (or `1`) in the query, as kube-client sends them.
pub fn bound_of(uri: &Uri) -> Bound {
    let watch = uri.query().is_some_and(|q| {
        q.split('&')
            .any(|kv| matches!(kv, "watch=true" | "watch=1"))
    });
    if watch {
        Bound::Start
    } else {
        Bound::Whole
    }
}

/// A request cut by its deadline.
#[derive(Debug, thiserror::Error)]
#[error("no answer from the Kubernetes API within {0:?} (--request-timeout-seconds)")]
pub struct TimedOut(pub Duration);

/// Whether `e`, or an error it wraps, is a request cut by its deadline.
pub fn is_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<TimedOut>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Puts a deadline of `limit` on every request (see [`Bound`]).
#[derive(Clone, Copy, Debug)]
pub struct DeadlineLayer {
    pub limit: Duration,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;
    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            limit: self.limit,
        }
    }
}

pub struct Deadline<S> {
    inner: S,
    limit: Duration,
}

impl<S, ReqBody, B> Service<Request<ReqBody>> for Deadline<S>
where
    S: Service<Request<ReqBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Unpin + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<DeadlineBody<B>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let bound = bound_of(req.uri());
        let limit = self.limit;
        let deadline = Instant::now() + limit;
        let answer = self.inner.call(req);
        Box::pin(async move {
            let resp = match tokio::time::timeout_at(deadline, answer).await {
                Ok(r) => r.map_err(Into::into)?,
                Err(_) => return Err(Box::new(TimedOut(limit)) as BoxError),
            };
            Ok(resp.map(|inner| DeadlineBody {
                inner,
                deadline: (bound == Bound::Whole)
                    .then(|| Box::pin(tokio::time::sleep_until(deadline))),
                limit,
            }))
        })
    }
}

/// A response body that fails once the request's deadline has passed (none for watches).
pub struct DeadlineBody<B> {
    inner: B,
    deadline: Option<Pin<Box<Sleep>>>,
    limit: Duration,
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let passed = this
            .deadline
            .as_mut()
            .is_some_and(|d| d.as_mut().poll(cx).is_ready());
        if passed {
            Poll::Ready(Some(Err(Box::new(TimedOut(this.limit)))))
        } else {
            Poll::Pending
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};

    #[test]
    fn only_watches_are_bounded_at_their_start_only() {
        let cases = [
            (
                "/apis/tensorfleet.io/v1alpha1/neurons?&watch=true&timeoutSeconds=120",
                Bound::Start,
            ),
            ("/api/v1/pods?watch=1", Bound::Start),
            ("/api/v1/pods?labelSelector=a&watch=true", Bound::Start),
            (
                "/apis/tensorfleet.io/v1alpha1/neurons?limit=500",
                Bound::Whole,
            ),
            ("/api/v1/namespaces/a/secrets/s", Bound::Whole),
            (
                "/api/v1/namespaces/a/pods?fieldSelector=metadata.name%3Dwatch%3Dtrue",
                Bound::Whole,
            ),
            ("/api/v1/pods?watch=false", Bound::Whole),
        ];
        for (uri, want) in cases {
            assert_eq!(bound_of(&uri.parse().unwrap()), want, "{uri}");
        }
    }

    type Chunks = StreamBody<
        futures::stream::BoxStream<'static, Result<Frame<Bytes>, std::convert::Infallible>>,
    >;

    /// Answers after `head`, then sends one chunk after `chunk` more.
    fn answer(
        head: Duration,
        chunk: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Chunks>, std::convert::Infallible>> + Send>>
    {
        Box::pin(async move {
            tokio::time::sleep(head).await;
            let body = futures::stream::once(async move {
                tokio::time::sleep(chunk).await;
                Ok(Frame::data(Bytes::from_static(b"{}")))
            });
            Ok(Response::new(StreamBody::new(futures::StreamExt::boxed(
                body,
            ))))
        })
    }

    async fn run(uri: &str, head: u64, chunk: u64) -> Result<Bytes, String> {
        let (head, chunk) = (Duration::from_secs(head), Duration::from_secs(chunk));
        let mut svc = DeadlineLayer {
            limit: Duration::from_secs(10),
        }
        .layer(tower::service_fn(move |_req: Request<()>| {
            answer(head, chunk)
        }));
        let req = Request::builder().uri(uri).body(()).unwrap();
        let resp = svc.call(req).await.map_err(|e| {
            assert!(is_timeout(e.as_ref()), "{e}");
            e.to_string()
        })?;
        match resp.into_body().collect().await {
            Ok(b) => Ok(b.to_bytes()),
            Err(e) => {
                assert!(is_timeout(e.as_ref()), "{e}");
                Err(e.to_string())
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_cut_unanswered_requests_and_slow_bodies_but_not_watch_streams() {
        const GET: &str = "/api/v1/namespaces/a/pods/p";
        const WATCH: &str = "/api/v1/pods?watch=true";
        // (uri, seconds to the headers, seconds more to the body, answered?)
        let cases = [
            (GET, 1, 1, true),
            (GET, 11, 0, false),
            (GET, 5, 6, false),
            (WATCH, 1, 600, true),
            (WATCH, 11, 0, false),
        ];
        for (uri, head, chunk, answered) in cases {
            let got = run(uri, head, chunk).await;
            assert_eq!(got.is_ok(), answered, "{uri} {head}+{chunk}: {got:?}");
            if let Err(msg) = got {
                assert!(msg.contains("within 10s"), "{msg}");
            }
        }
    }
}
