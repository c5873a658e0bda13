//! Extrinsic handling, in the real chain's order: pool validity (mortality, nonce, fee,
//! `serve_axon` pre-checks) → inclusion (nonce +1, fee paid) → dispatch (module errors).

use super::ledger::{tx_hash, Call, LedgerEntry, LedgerOutcome, Submission};
use super::state::ChainState;
use crate::chain::{AccountId, AxonInfo, ChainError, TxOutcome, TxResult};

const SUBTENSOR: &str = "SubtensorModule";

/// subtensor's `CustomTransactionError` codes used by `serve_axon`'s pre-dispatch checks.
pub mod custom {
    pub const HOTKEY_NOT_REGISTERED: u8 = 10;
    pub const INVALID_IP_ADDRESS: u8 = 11;
    pub const SERVING_RATE_LIMIT_EXCEEDED: u8 = 12;
    pub const INVALID_PORT: u8 = 13;
}

/// A dispatch error: (pallet, error name).
type DispatchError = (&'static str, &'static str);

fn module(error: &'static str) -> DispatchError {
    (SUBTENSOR, error)
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
            fee_rao: 0,
            result_lost: false,
        };
        if let Err(reason) = self.validate(&s, fee) {
            entry.outcome = LedgerOutcome::Rejected {
                reason: reason.clone(),
            };
            self.ledger.push(entry);
            return Err(ChainError::Rejected(reason));
        }
        let signer = self.account_mut(&s.signer);
        signer.nonce += 1;
        signer.free -= fee;
        let (result, burned) = match self.dispatch(&s) {
            Ok(burned) => (TxResult::Success, burned),
            Err((pallet, error)) => (
                TxResult::Failed {
                    pallet: pallet.into(),
                    error: error.into(),
                },
                0,
            ),
        };
        entry.outcome = LedgerOutcome::Included {
            block: self.head,
            result: result.clone(),
        };
        entry.burned_rao = burned;
        entry.fee_rao = fee;
        self.ledger.push(entry);
        Ok(TxOutcome {
            block: self.head,
            tx_hash: hash,
            fee_rao: fee,
            burned_rao: burned,
            result,
        })
    }

    /// Transaction-pool validity: `Err(reason)` means refused, nothing applied.
    fn validate(&self, s: &Submission, fee: u64) -> Result<(), String> {
        if s.tx.birth_block > self.head {
            return Err(format!(
                "InvalidTransaction::AncientBirthBlock (birth block {} is after head {})",
                s.tx.birth_block, self.head
            ));
        }
        if self.head > s.tx.mortal_until() {
            return Err(format!(
                "InvalidTransaction::BadProof (mortal era ended at block {}, head {})",
                s.tx.mortal_until(),
                self.head
            ));
        }
        let acct = self.account(&s.signer);
        if s.tx.nonce < acct.nonce {
            return Err(format!(
                "InvalidTransaction::Stale (nonce {} < account nonce {})",
                s.tx.nonce, acct.nonce
            ));
        }
        if s.tx.nonce > acct.nonce {
            return Err(format!(
                "InvalidTransaction::Future (nonce {} > account nonce {})",
                s.tx.nonce, acct.nonce
            ));
        }
        if acct.free < fee {
            return Err("InvalidTransaction::Payment (cannot pay the fee)".into());
        }
        if let Call::ServeAxon {
            netuid,
            ip,
            port,
            ip_type,
            ..
        } = s.call
        {
            self.validate_serve(netuid, &s.signer, ip, port, ip_type)
                .map_err(|code| format!("InvalidTransaction::Custom({code})"))?;
        }
        Ok(())
    }

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
            4 => {
                ip != 0
                    && ip < u32::MAX as u128
                    && ip != u32::from(std::net::Ipv4Addr::LOCALHOST) as u128
            }
            6 => ip != 0 && ip != 1 && ip != u128::MAX,
            _ => false,
        };
        if !valid_ip {
            return Err(custom::INVALID_IP_ADDRESS);
        }
        if port == 0 {
            return Err(custom::INVALID_PORT);
        }
        let sn = self.subnet(netuid).expect("registered");
        let limit = sn.config.serving_rate_limit;
        if let Some(axon) = &sn.neurons[uid as usize].axon {
            if limit > 0 && self.head.saturating_sub(axon.block) < limit {
                return Err(custom::SERVING_RATE_LIMIT_EXCEEDED);
            }
        }
        Ok(())
    }

    /// Runs the call after inclusion; returns the burn paid.
    fn dispatch(&mut self, s: &Submission) -> Result<u64, DispatchError> {
        if let Some(real) = s.real {
            if !self.proxies.contains(&(real, s.signer)) {
                return Err(("Proxy", "NotProxy"));
            }
        }
        let payer = s.payer();
        match s.call {
            Call::BurnedRegister { netuid, hotkey } => self.register(netuid, hotkey, None, payer),
            Call::RegisterLimit {
                netuid,
                hotkey,
                limit_price,
            } => self.register(netuid, hotkey, Some(limit_price), payer),
            Call::AddStake {
                netuid,
                hotkey,
                amount_staked,
            } => self.stake(netuid, hotkey, payer, amount_staked, true),
            Call::RemoveStake {
                netuid,
                hotkey,
                amount_unstaked,
            } => self.stake(netuid, hotkey, payer, amount_unstaked, false),
            Call::ServeAxon {
                netuid,
                version,
                ip,
                port,
                ip_type,
                ..
            } => {
                self.serve(netuid, &s.signer, version, ip, port, ip_type);
                Ok(0)
            }
        }
    }

    fn register(
        &mut self,
        netuid: u16,
        hotkey: AccountId,
        limit: Option<u64>,
        coldkey: AccountId,
    ) -> Result<u64, DispatchError> {
        let head = self.head;
        if netuid == 0 {
            return Err(module("RegistrationNotPermittedOnRootSubnet"));
        }
        let sn = self
            .subnet(netuid)
            .ok_or(module("SubnetNotExists"))?
            .clone();
        let cfg = &sn.config;
        if !cfg.registration_allowed {
            return Err(module("SubNetRegistrationDisabled"));
        }
        if sn.uid_of(&hotkey).is_some() {
            return Err(module("HotKeyAlreadyRegisteredInSubNet"));
        }
        let burn = cfg.burn_at(head);
        if limit.is_some_and(|l| burn > l) {
            return Err(module("RegistrationPriceLimitExceeded"));
        }
        if self.account(&coldkey).free < burn {
            return Err(module("NotEnoughBalanceToStake"));
        }
        if self.owners.get(&hotkey).is_some_and(|o| *o != coldkey) {
            return Err(module("NonAssociatedColdKey"));
        }
        let this_block = sn.registration_blocks.iter().filter(|b| **b == head);
        if cfg
            .max_regs_per_block
            .is_some_and(|m| this_block.count() >= m as usize)
        {
            return Err(module("TooManyRegistrationsThisBlock"));
        }
        let interval = cfg.regs_interval_blocks.max(1);
        let start = head - head % interval;
        let this_interval = sn.registration_blocks.iter().filter(|b| **b >= start);
        if cfg
            .max_regs_per_interval
            .is_some_and(|m| this_interval.count() >= m as usize)
        {
            return Err(module("TooManyRegistrationsThisInterval"));
        }
        let uid = sn.slot_for_new(head).ok_or(module("NoNeuronIdAvailable"))?;
        self.account_mut(&coldkey).free -= burn;
        self.owners.insert(hotkey, coldkey);
        let sn = self.subnets.get_mut(&netuid).expect("checked above");
        sn.place(uid, hotkey, head);
        sn.config.bump_after_registration(burn, head);
        Ok(burn)
    }

    /// `add_stake` (`adding`) or `remove_stake`; TAO and alpha are 1:1 here. Returns 0 (no burn).
    fn stake(
        &mut self,
        netuid: u16,
        hotkey: AccountId,
        coldkey: AccountId,
        amount: u64,
        adding: bool,
    ) -> Result<u64, DispatchError> {
        if adding && amount < self.runtime.min_stake_rao {
            return Err(module("AmountTooLow"));
        }
        let sn = self.subnet(netuid).ok_or(module("SubnetNotExists"))?;
        if adding && !sn.config.subtoken_enabled {
            return Err(module("SubtokenDisabled"));
        }
        if !self.owners.contains_key(&hotkey) {
            return Err(module("HotKeyAccountNotExists"));
        }
        let staked = self.stake_of(netuid, &hotkey, &coldkey);
        let free = self.account(&coldkey).free;
        let (staked, free) = if adding {
            let free = free.checked_sub(amount);
            (
                staked + amount,
                free.ok_or(module("NotEnoughBalanceToStake"))?,
            )
        } else {
            let staked = staked.checked_sub(amount);
            (
                staked.ok_or(module("NotEnoughStakeToWithdraw"))?,
                free + amount,
            )
        };
        self.set_stake(netuid, &hotkey, &coldkey, staked);
        self.account_mut(&coldkey).free = free;
        Ok(0)
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

/// The u128 and ip_type of an address, as `serve_axon` takes them.
pub fn ip_to_u128(ip: std::net::IpAddr) -> (u128, u8) {
    match ip {
        std::net::IpAddr::V4(v4) => (u32::from(v4) as u128, 4),
        std::net::IpAddr::V6(v6) => (u128::from(v6), 6),
    }
}
