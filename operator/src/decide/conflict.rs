//! One hotkey, one pod: which of several Neurons sharing a hotkey keeps it.

/// A Neuron's claim on a hotkey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub name: String,
    /// RFC 3339 creation time; RFC 3339 UTC strings order like the times they name.
    pub created: String,
    /// The hotkey Secret it uses.
    pub secret: String,
    /// The hotkey ss58, once resolved.
    pub hotkey: Option<String>,
}

impl Claim {
    fn shares_hotkey(&self, other: &Claim) -> bool {
        self.secret == other.secret
            || matches!((&self.hotkey, &other.hotkey), (Some(a), Some(b)) if a == b)
    }

    fn older_than(&self, other: &Claim) -> bool {
        (&self.created, &self.name) < (&other.created, &other.name)
    }
}

/// The older Neuron `me` conflicts with, if any: the oldest one (then lowest name) keeps the
/// hotkey, every newer one gets `HotkeyConflict` and no pod.
pub fn conflicting_holder<'a>(me: &Claim, others: &'a [Claim]) -> Option<&'a Claim> {
    others
        .iter()
        .filter(|o| o.name != me.name && o.shares_hotkey(me) && o.older_than(me))
        .min_by(|a, b| (&a.created, &a.name).cmp(&(&b.created, &b.name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(name: &str, created: &str, secret: &str, hotkey: Option<&str>) -> Claim {
        Claim {
            name: name.into(),
            created: created.into(),
            secret: secret.into(),
            hotkey: hotkey.map(str::to_string),
        }
    }

    #[test]
    fn newer_loses_to_oldest_sharer() {
        let t1 = "2026-01-01T00:00:00Z";
        let t2 = "2026-01-02T00:00:00Z";
        let t3 = "2026-01-03T00:00:00Z";
        let a = claim("a", t1, "s1", Some("5A"));
        let b = claim("b", t2, "s1", None); // same Secret
        let c = claim("c", t3, "s3", Some("5A")); // same ss58 via another Secret
        let d = claim("d", t1, "s4", Some("5D")); // unrelated
        let a_twin = claim("a2", t1, "s1", None); // same time: name decides
        let all = vec![a.clone(), b.clone(), c.clone(), d.clone(), a_twin.clone()];
        let cases = [
            (&a, None),
            (&b, Some("a")),
            (&c, Some("a")),
            (&d, None),
            (&a_twin, Some("a")),
        ];
        for (me, want) in cases {
            assert_eq!(
                conflicting_holder(me, &all).map(|c| c.name.as_str()),
                want,
                "{}",
                me.name
            );
        }
        // Unknown ss58s never match each other.
        let x = claim("x", t1, "sx", None);
        let y = claim("y", t2, "sy", None);
        assert_eq!(conflicting_holder(&y, &[x, y.clone()]), None);
    }
}
