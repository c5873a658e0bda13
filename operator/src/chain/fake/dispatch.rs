//! Extrinsic handling, in the real chain's order: pool validity (mortality, nonce, fee, the
//! coldkey-swap guard, `serve_axon` pre-checks) → inclusion (nonce +1, fee paid) → dispatch
//! (proxy definition and filter, then the call's module errors).

use super::ledger::{tx_hash, Call, LedgerEntry, LedgerOutcome, Submission};
use super::state::ChainState;
use crate::chain::client::proxy::allows;
use crate::chain::client::rejection::custom_name;
use crate::chain::{AccountId, AxonInfo, ChainError, Rejection, StakeMoved, TxOutcome, TxResult};

const SUBTENSOR: &str = "SubtensorModule";

/// subtensor's `CustomTransactionError` codes of the checks modelled here (HEAD
/// `common/src/transaction_error.rs`).
pub mod custom {
    pub const COLDKEY_IN_SWAP_SCHEDULE: u8 = 0;
    pub const HOTKEY_NOT_REGISTERED: u8 = 10;
    pub const INVALID_IP_ADDRESS: u8 = 11;
    pub const SERVING_RATE_LIMIT_EXCEEDED: u8 = 12;
    pub const INVALID_PORT: u8 = 13;
    pub const COLDKEY_SWAP_DISPUTED: u8 = 21;
    pub const BAD_REQUEST: u8 = 255;
}

/// A dispatch error: (pallet, error name).
type DispatchError = (&'static str, &'static str);

fn module(error: &'static str) -> DispatchError {
    (SUBTENSOR, error)
}

fn reject(name: &str, message: String) -> Rejection {
    Rejection {
        code: None,
        name: name.into(),
        message,
    }
}

fn custom(code: u8) -> Rejection {
    Rejection {
        code: Some(code),
        name: custom_name(code).into(),
        message: format!("Custom error: {code}"),
    }
}

/// What a dispatched call moved.
#[derive(Default)]
pub(super) struct Moved {
    burn: u64,
    stake: Option<StakeMoved>,
}

impl Moved {
    pub(super) fn stake(s: StakeMoved) -> Self {
        Moved {
            burn: 0,
            stake: Some(s),
        }
    }
}

impl ChainState {
    /// Submits one extrinsic; it is included in the head block when the pool accepts it.
    pub fn submit(&mut self, s: Submission) -> Result<TxOutcome, ChainError> {
        let seq = self.ledger.len() as u64;
        let hash = tx_hash(seq, &s.signer, s.tx.nonce);
        let fee = match s.call {
            Call::ServeAxon { .. } => 0,
            _ => self.runtime.fee_rao,
        };
        let mut entry = LedgerEntry {
            seq,
            tx_hash: hash.clone(),
            method: s.call.name().to_string(),
            signer: s.signer,
            payer: s.payer(),
            via_proxy: s.real.is_some(),
            nonce: s.tx.nonce,
            call: s.call.clone(),
            outcome: LedgerOutcome::Rejected {
                reason: String::new(),
            },
            burned_rao: 0,
            stake: None,
            fee_rao: 0,
            result_lost: false,
        };
        if let Err(r) = self.validate(&s, fee) {
            entry.outcome = LedgerOutcome::Rejected {
                reason: r.to_string(),
            };
            self.ledger.push(entry);
            return Err(ChainError::Rejected(r));
        }
        let signer = self.account_mut(&s.signer);
        signer.nonce += 1;
        signer.free -= fee;
        let (result, moved) = match self.dispatch(&s) {
            Ok(moved) => (TxResult::Success, moved),
            Err((pallet, error)) => (TxResult::failed(pallet, error), Moved::default()),
        };
        entry.outcome = LedgerOutcome::Included {
            block: self.head,
            result: result.clone(),
        };
        entry.burned_rao = moved.burn;
        entry.stake = moved.stake;
        entry.fee_rao = fee;
        self.ledger.push(entry);
        Ok(TxOutcome {
            block: self.head,
            tx_hash: hash,
            fee_rao: fee,
            burned_rao: moved.burn,
            stake: moved.stake,
            amounts_known: true,
            result,
        })
    }

    /// Transaction-pool validity: `Err` means refused, nothing applied.
    fn validate(&self, s: &Submission, fee: u64) -> Result<(), Rejection> {
        if s.tx.birth_block > self.head {
            return Err(reject(
                "AncientBirthBlock",
                format!(
                    "birth block {} is after head {}",
                    s.tx.birth_block, self.head
                ),
            ));
        }
        if self.head > s.tx.mortal_until() {
            return Err(reject(
                "BadProof",
                format!(
                    "mortal era ended at block {}, head {}",
                    s.tx.mortal_until(),
                    self.head
                ),
            ));
        }
        let acct = self.account(&s.signer);
        if s.tx.nonce < acct.nonce {
            let msg = format!("nonce {} < account nonce {}", s.tx.nonce, acct.nonce);
            return Err(reject("Stale", msg));
        }
        if s.tx.nonce > acct.nonce {
            let msg = format!("nonce {} > account nonce {}", s.tx.nonce, acct.nonce);
            return Err(reject("Future", msg));
        }
        if acct.free < fee {
            return Err(reject("Payment", "cannot pay the fee".into()));
        }
        // HEAD checks the signer's coldkey swap in the pool (`extensions/subtensor.rs:78-110`).
        if let Some(swap) = self.coldkey_swaps.get(&s.signer) {
            return Err(custom(if swap.disputed {
                custom::COLDKEY_SWAP_DISPUTED
            } else {
                custom::COLDKEY_IN_SWAP_SCHEDULE
            }));
        }
        if let (
            None,
            Call::ServeAxon {
                netuid,
                ip,
                port,
                ip_type,
                ..
            },
        ) = (s.real, &s.call)
        {
            self.validate_serve(*netuid, &s.signer, *ip, *port, *ip_type)
                .map_err(custom)?;
        }
        Ok(())
    }

    /// HEAD's `validate_serve_axon` (`subnets/serving.rs:289-339`), in its order.
    fn validate_serve(
        &self,
        netuid: u16,
        hotkey: &AccountId,
        ip: u128,
        port: u16,
        ip_type: u8,
    ) -> Result<(), u8> {
        let uid = self
            .uid_of(netuid, hotkey)
            .ok_or(custom::HOTKEY_NOT_REGISTERED)?;
        let valid_ip = match ip_type {
            4 => ip < u32::MAX as u128 && ip != u32::from(std::net::Ipv4Addr::LOCALHOST) as u128,
            6 => ip != 1 && ip != u128::MAX,
            // InvalidIpType maps to BadRequest (`extensions/subtensor.rs:58`).
            _ => return Err(custom::BAD_REQUEST),
        };
        if !valid_ip {
            return Err(custom::INVALID_IP_ADDRESS);
        }
        let sn = self.subnet(netuid).expect("registered");
        let limit = sn.config.serving_rate_limit;
        if let Some(axon) = &sn.neurons[uid as usize].axon {
            if limit > 0 && self.head.saturating_sub(axon.block) < limit {
                return Err(custom::SERVING_RATE_LIMIT_EXCEEDED);
            }
        }
        if port == 0 {
            return Err(custom::INVALID_PORT);
        }
        Ok(())
    }

    /// `Proxy.proxy`: a definition of the forced type must exist (else the proxy call itself
    /// fails, `NotProxy`); its filter and the real account's coldkey-swap guard apply to the
    /// inner call (`System.CallFiltered` / `ColdkeySwapAnnounced` inside `ProxyExecuted`).
    fn through_proxy(&self, s: &Submission, real: AccountId) -> Result<(), DispatchError> {
        let grant = self.proxies.iter().find(|g| {
            g.real == real
                && g.delegate == s.signer
                && g.delay == 0
                && s.proxy_type.as_ref().is_none_or(|t| *t == g.proxy_type)
        });
        let Some(grant) = grant else {
            return Err(("Proxy", "NotProxy"));
        };
        if !allows(&grant.proxy_type, s.call.name()) {
            return Err(("System", "CallFiltered"));
        }
        match self.coldkey_swaps.get(&real) {
            Some(swap) if swap.disputed => Err(module("ColdkeySwapDisputed")),
            Some(_) => Err(module("ColdkeySwapAnnounced")),
            None => Ok(()),
        }
    }

    /// Runs the call after inclusion.
    fn dispatch(&mut self, s: &Submission) -> Result<Moved, DispatchError> {
        if let Some(real) = s.real {
            self.through_proxy(s, real)?;
        }
        let payer = s.payer();
        let burn = |b| Moved {
            burn: b,
            stake: None,
        };
        match s.call {
            Call::BurnedRegister { netuid, hotkey } => {
                self.register(netuid, hotkey, None, payer).map(burn)
            }
            Call::RegisterLimit {
                netuid,
                hotkey,
                limit_price,
            } => self
                .register(netuid, hotkey, Some(limit_price), payer)
                .map(burn),
            Call::AddStake {
                netuid,
                hotkey,
                amount_staked,
            } => self.add_stake(netuid, hotkey, payer, amount_staked, None),
            Call::AddStakeLimit {
                netuid,
                hotkey,
                amount_staked,
                limit_price,
                allow_partial,
            } => self.add_stake(
                netuid,
                hotkey,
                payer,
                amount_staked,
                Some((limit_price, allow_partial)),
            ),
            Call::RemoveStake {
                netuid,
                hotkey,
                amount_unstaked,
            } => self.remove_stake(netuid, hotkey, payer, amount_unstaked, None),
            Call::RemoveStakeLimit {
                netuid,
                hotkey,
                amount_unstaked,
                limit_price,
                allow_partial,
            } => self.remove_stake(
                netuid,
                hotkey,
                payer,
                amount_unstaked,
                Some((limit_price, allow_partial)),
            ),
            Call::SwapHotkey {
                hotkey,
                new_hotkey,
                netuid,
                keep_stake,
            } => self
                .swap_hotkey(payer, hotkey, new_hotkey, netuid, keep_stake)
                .map(|_| Moved::default()),
            Call::ServeAxon {
                netuid,
                version,
                ip,
                port,
                ip_type,
                ..
            } => {
                // Proxied, the pool checks did not run; the dispatch checks do.
                self.validate_serve(netuid, &s.signer, ip, port, ip_type)
                    .map_err(|code| module(serve_error(code)))?;
                self.serve(netuid, &s.signer, version, ip, port, ip_type);
                Ok(Moved::default())
            }
        }
    }

    fn serve(&mut self, netuid: u16, hotkey: &AccountId, version: u32, ip: u128, port: u16, t: u8) {
        let head = self.head;
        let ip = if t == 4 {
            std::net::IpAddr::from(std::net::Ipv4Addr::from(ip as u32))
        } else {
            std::net::IpAddr::from(std::net::Ipv6Addr::from(ip))
        };
        let sn = self.subnets.get_mut(&netuid).expect("validated");
        let uid = sn.uid_of(hotkey).expect("validated") as usize;
        sn.neurons[uid].axon = Some(AxonInfo {
            block: head,
            ip,
            port,
            version,
        });
    }
}

/// The module error behind a `serve_axon` custom code.
fn serve_error(code: u8) -> &'static str {
    match code {
        custom::HOTKEY_NOT_REGISTERED => "HotKeyNotRegisteredInNetwork",
        custom::INVALID_IP_ADDRESS => "InvalidIpAddress",
        custom::SERVING_RATE_LIMIT_EXCEEDED => "ServingRateLimitExceeded",
        custom::INVALID_PORT => "InvalidPort",
        _ => "InvalidIpType",
    }
}

/// The u128 and ip_type of an address, as `serve_axon` takes them.
pub fn ip_to_u128(ip: std::net::IpAddr) -> (u128, u8) {
    match ip {
        std::net::IpAddr::V4(v4) => (u32::from(v4) as u128, 4),
        std::net::IpAddr::V6(v6) => (u128::from(v6), 6),
    }
}
