//! After a passed canary: the rest, `maxUnavailable` at a time, each in its restart window.

use super::{list, CanaryMember, Machine, SOON};
use crate::api::{step, Role};
use crate::decide::rollout::rolling;
use crate::decide::rollout::window::Gate;

impl Machine<'_> {
    pub(super) fn batches(&mut self) {
        let i = self.i;
        let p = i.prev;
        let st = &mut self.out.status;
        if st.step == step::BATCHES || p.step == step::BATCHES {
            st.canaries = p.canaries.clone();
            st.due_since_block = p.due_since_block;
        } else {
            st.due_since_block = None;
        }
        st.step = step::BATCHES.into();
        let rolling: Vec<rolling::Member> = i
            .members
            .iter()
            .map(|m| rolling::Member {
                ordinal: m.ordinal as u32,
                updated: self.on_target(m),
                ready: m.ready || !m.registered,
            })
            .collect();
        let r = rolling::plan(&rolling, i.max_unavailable);
        if r.outdated == 0 {
            return self.complete();
        }
        if r.update.is_empty() {
            self.out.status.due_since_block = None;
            let waiting: Vec<i32> = r.waiting_on.iter().map(|o| *o as i32).collect();
            let msg = format!(
                "waiting for ordinal(s) {} to become Ready before updating the next; {} member(s) on an old template",
                list(&waiting),
                r.outdated
            );
            return self.progressing(false, "RolloutPaused", msg, Some(SOON));
        }
        let due: Vec<&CanaryMember> = i
            .members
            .iter()
            .filter(|m| r.update.contains(&(m.ordinal as u32)))
            .collect();
        let go = self.gated(&due);
        let msg = format!(
            "{}; {} member(s) on an old template",
            self.window_message("batch", &go, &due),
            r.outdated
        );
        self.out.update = go;
        self.progressing(true, "RollingUpdate", msg, Some(SOON));
    }

    /// The members of `due` whose restart window is open now (or that waited past the bound).
    pub(super) fn gated(&mut self, due: &[&CanaryMember]) -> Vec<i32> {
        let i = self.i;
        let tempo = i.chain.map_or(0, |c| c.schedule.tempo);
        let gate = Gate {
            role: i.role,
            window: i.settings.window_blocks(tempo),
            max_delay: i.settings.max_delay_blocks(tempo),
        };
        let since = self.out.status.due_since_block;
        let go: Vec<i32> = due
            .iter()
            .filter(|m| gate.open(i.chain.as_ref(), m.registered, m.last_update, since))
            .map(|m| m.ordinal)
            .collect();
        self.out.status.due_since_block = if go.len() < due.len() {
            since.or(i.chain.map(|c| c.block))
        } else {
            None
        };
        go
    }

    pub(super) fn window_message(&self, what: &str, go: &[i32], due: &[&CanaryMember]) -> String {
        let waiting: Vec<i32> = due
            .iter()
            .map(|m| m.ordinal)
            .filter(|o| !go.contains(o))
            .collect();
        let mut parts = Vec::new();
        if !go.is_empty() {
            // Where in the epoch the restart falls, so it can be checked.
            let at =
                self.i.chain.map(
                    |c| match (self.i.role, c.schedule.blocks_since_epoch(c.block)) {
                        (Role::Miner, Some(n)) => format!(
                            " at block {}, {n} block(s) after an epoch boundary",
                            c.block
                        ),
                        _ => format!(" at block {}", c.block),
                    },
                );
            parts.push(format!(
                "updating {what} ordinal(s) {}{}",
                list(go),
                at.unwrap_or_default()
            ));
        }
        if !waiting.is_empty() {
            let anchor = match self.i.role {
                Role::Miner => "an epoch boundary",
                Role::Validator => "their next weight set",
            };
            let why = match self.i.chain {
                // no block to align to (and nothing to judge with): the chain comes first
                None => "wait for the Subnet's first chain poll".to_string(),
                Some(_) => format!("wait for their restart window after {anchor}"),
            };
            parts.push(format!("{what} ordinal(s) {} {why}", list(&waiting)));
        }
        parts.join("; ")
    }
}
