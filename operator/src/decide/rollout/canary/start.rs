//! The Canary step proper: choosing the canaries, restarting them in their windows, waiting
//! until they are Ready (or failing them: crash loop, deadline).

use super::{elapsed_secs, list, reason, CanaryMember, Machine, SOON};
use crate::api::step;
use crate::decide::rollout::compare;

impl Machine<'_> {
    pub(super) fn canary(&mut self) {
        let i = self.i;
        let s = i.settings;
        self.out.status.step = step::CANARY.into();
        let present = |o: &i32| i.members.iter().any(|m| m.ordinal == *o);
        self.out.status.canaries.retain(present);
        if self.out.status.canaries.is_empty() {
            self.choose_canaries();
        }
        let canaries: Vec<&CanaryMember> = i
            .members
            .iter()
            .filter(|m| self.out.status.canaries.contains(&m.ordinal))
            .collect();
        let waiting: Vec<&CanaryMember> = canaries
            .iter()
            .copied()
            .filter(|m| !self.on_target(m))
            .collect();
        if !waiting.is_empty() {
            let go = self.gated(&waiting);
            if !go.is_empty() {
                self.out.status.canary_updated_at = Some(i.now.to_string());
            }
            let msg = self.window_message("canary", &go, &waiting);
            self.out.update = go;
            return self.progressing(true, "CanaryUpdating", msg, Some(SOON));
        }
        self.out.status.due_since_block = None;
        let looping: Vec<i32> = canaries
            .iter()
            .filter(|m| m.crash_looping)
            .map(|m| m.ordinal)
            .collect();
        if !looping.is_empty() {
            let why = format!(
                "canary ordinal(s) {} crash-loop on revision {}",
                list(&looping),
                i.target
            );
            return self.fail(reason::CRASH_LOOPING, why);
        }
        let unready: Vec<i32> = canaries
            .iter()
            .filter(|m| m.registered && !m.ready)
            .map(|m| m.ordinal)
            .collect();
        let st = &mut self.out.status;
        if st.soak_started_block.is_none() {
            if !unready.is_empty() {
                let waited = elapsed_secs(st.canary_updated_at.as_deref(), i.now);
                if waited > s.deadline_seconds {
                    let why = format!(
                        "canary ordinal(s) {} not Ready {waited} s after the update (progressDeadlineSeconds {})",
                        list(&unready),
                        s.deadline_seconds
                    );
                    return self.fail(reason::NOT_READY, why);
                }
                let msg = format!(
                    "waiting for canary ordinal(s) {} to become Ready",
                    list(&unready)
                );
                return self.progressing(true, "CanaryUpdating", msg, Some(SOON));
            }
            let Some(c) = i.chain else {
                return self.progressing(
                    true,
                    "WaitingForChain",
                    "the Subnet has not been polled yet".into(),
                    Some(SOON),
                );
            };
            st.soak_started_block = Some(c.block);
        }
        self.soak(&canaries, &unready);
    }

    pub(super) fn choose_canaries(&mut self) {
        let i = self.i;
        let s = i.settings;
        // Judgeable first: registered, Ready, past immunity, earning; then one in immunity (it
        // is judged on its own figure before); one earning nothing would look regressed next to
        // its peers for reasons of its own; then lower ordinals.
        let tier = |m: &CanaryMember| {
            let earning = m
                .figures
                .as_ref()
                .and_then(|f| s.metric.of(f))
                .is_some_and(|v| v > 0.0);
            match (m.registered, m.ready, earning, m.immune) {
                (true, true, true, false) => 0,
                (true, true, true, true) => 1,
                (true, true, false, _) => 2,
                (true, false, _, _) => 3,
                _ => 4,
            }
        };
        let mut candidates: Vec<&CanaryMember> =
            i.members.iter().filter(|m| !self.on_target(m)).collect();
        candidates.sort_by_key(|m| (tier(m), m.ordinal));
        candidates.truncate(s.canary as usize);
        let mut chosen: Vec<i32> = candidates.iter().map(|m| m.ordinal).collect();
        chosen.sort_unstable();
        let before: Vec<f64> = candidates
            .iter()
            .filter(|m| m.registered)
            .filter_map(|m| s.metric.of(m.figures.as_ref()?))
            .collect();
        let st = &mut self.out.status;
        st.canary_before = compare::median(&before);
        st.canaries = chosen.clone();
        st.canary_updated_at = None;
        st.soak_started_block = None;
        st.canary_unready_since = None;
        st.due_since_block = None;
        self.note(
            false,
            "CanaryStarted",
            format!(
                "revision {}: canary ordinal(s) {} first, judged on {} after {} epoch(s) against the members not yet updated (maxDrop {})",
                i.target,
                list(&chosen),
                s.metric.as_str(),
                s.soak_tempos,
                s.max_drop_text
            ),
        );
    }
}
