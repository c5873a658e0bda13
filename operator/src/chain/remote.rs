//! [`Chain`] over HTTP against a `tensorfleet-fakechain` server (feature `fake-chain`, tests only).
//! Selected by `fake+http://HOST:PORT` endpoints. Only public keys are sent: the request is
//! reduced to account ids (`fake::wire`) before it leaves the process.

use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use axum::http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::fake::{Method, ReadArgs, RegisterArgs, Reply, ServeArgs, StakeArgs};
use super::{
    AccountId, Chain, ChainError, ColdkeySwap, FindTx, FoundTx, RegisterRequest, ServeAxonRequest,
    SnapshotQuery, StakeRequest, SubnetSnapshot, TxOutcome,
};

/// Per-request limit; the fake answers at once, so this only trips on a hung server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub struct RemoteFakeChain {
    /// `http://HOST:PORT`, no trailing slash.
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl RemoteFakeChain {
    /// `url`: `fake+http://HOST:PORT` (as given to the operator) or `http://HOST:PORT`, either
    /// optionally with `/lag/{blocks}` (the server's lagging view).
    pub fn new(url: &str) -> Result<Self, ChainError> {
        let base = url
            .strip_prefix("fake+")
            .unwrap_or(url)
            .trim_end_matches('/');
        if !base.starts_with("http://") {
            return Err(ChainError::Other(format!(
                "fake chain endpoint must be fake+http://HOST:PORT, got {url}"
            )));
        }
        Ok(Self {
            base: base.to_string(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// One HTTP exchange; `write` says whether a lost connection may have applied a tx.
    async fn exchange(
        &self,
        path: &str,
        body: Option<Vec<u8>>,
        write: bool,
    ) -> Result<(StatusCode, Bytes), ChainError> {
        let uri = format!("{}{path}", self.base);
        let req = match &body {
            Some(_) => Request::post(uri).header(header::CONTENT_TYPE, "application/json"),
            None => Request::get(uri),
        }
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| ChainError::Other(e.to_string()))?;
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| {
                // Once the request may have reached the server, a write may have been applied.
                if e.is_connect() || !write {
                    ChainError::Unreachable(format!("{}: {e}", self.base))
                } else {
                    ChainError::OutcomeUnknown {
                        tx_hash: String::new(),
                        reason: format!("connection to {} lost: {e}", self.base),
                    }
                }
            })?;
            let status = resp.status();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| ChainError::Other(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok((status, bytes))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| ChainError::Timeout(REQUEST_TIMEOUT))?
    }

    async fn call<A: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        args: &A,
    ) -> Result<T, ChainError> {
        let name = serde_json::to_value(method).map_err(|e| ChainError::Other(e.to_string()))?;
        let path = format!("/chain/{}", name.as_str().unwrap_or_default());
        let body = serde_json::to_vec(args).map_err(|e| ChainError::Other(e.to_string()))?;
        let (status, bytes) = self.exchange(&path, Some(body), method.is_write()).await?;
        // Refused in front of the chain: nothing was applied, writes included.
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ChainError::RateLimited(format!(
                "{}: HTTP {status}",
                self.base
            )));
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes);
            return Err(ChainError::Other(format!("fake chain {status}: {text}")));
        }
        let reply: Reply<T> = serde_json::from_slice(&bytes)
            .map_err(|e| ChainError::Decode(format!("fake chain answer: {e}")))?;
        Result::from(reply)
    }

    /// Calls the admin API (`GET` when `body` is None, else `POST`); a refusal (HTTP 400
    /// `{"error": ..}`) comes back as `ChainError::Other` with that message.
    pub async fn admin(
        &self,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, ChainError> {
        let body = body.map(|b| b.to_string().into_bytes());
        let (status, bytes) = self.exchange(path, body, false).await?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ChainError::Decode(format!("fake chain admin answer: {e}")))?;
        if !status.is_success() {
            return Err(ChainError::Other(
                value["error"].as_str().unwrap_or("").into(),
            ));
        }
        Ok(value)
    }
}

fn read_args(
    netuid: Option<u16>,
    hotkey: Option<AccountId>,
    account: Option<AccountId>,
) -> ReadArgs {
    ReadArgs {
        netuid,
        hotkey,
        account,
        stakes: Vec::new(),
        weights: Vec::new(),
        mechanisms: 0,
    }
}

#[async_trait]
impl Chain for RemoteFakeChain {
    async fn head(&self) -> Result<u64, ChainError> {
        self.call(Method::Head, &ReadArgs::default()).await
    }

    async fn snapshot(
        &self,
        netuid: u16,
        query: &SnapshotQuery,
    ) -> Result<SubnetSnapshot, ChainError> {
        let args = ReadArgs {
            stakes: query.stakes.clone(),
            weights: query.weights.clone(),
            mechanisms: query.mechanisms,
            ..read_args(Some(netuid), None, None)
        };
        self.call(Method::Snapshot, &args).await
    }

    async fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError> {
        let args = read_args(Some(netuid), Some(*hotkey), None);
        self.call(Method::UidOf, &args).await
    }

    async fn free_balance(&self, account: &AccountId) -> Result<u64, ChainError> {
        let args = read_args(None, None, Some(*account));
        self.call(Method::FreeBalance, &args).await
    }

    async fn account_nonce(&self, account: &AccountId) -> Result<u64, ChainError> {
        let args = read_args(None, None, Some(*account));
        self.call(Method::AccountNonce, &args).await
    }

    async fn coldkey_swap(&self, account: &AccountId) -> Result<Option<ColdkeySwap>, ChainError> {
        let args = read_args(None, None, Some(*account));
        self.call(Method::ColdkeySwap, &args).await
    }

    async fn register(&self, req: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.call(Method::Register, &RegisterArgs::from(req)).await
    }

    async fn add_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.call(Method::AddStake, &StakeArgs::from(req)).await
    }

    async fn remove_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.call(Method::RemoveStake, &StakeArgs::from(req)).await
    }

    async fn serve_axon(&self, req: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.call(Method::ServeAxon, &ServeArgs::from(req)).await
    }

    async fn find_tx(&self, q: &FindTx) -> Result<Option<FoundTx>, ChainError> {
        self.call(Method::FindTx, q).await
    }

    fn endpoint(&self) -> String {
        format!("fake+{}", self.base)
    }
}
