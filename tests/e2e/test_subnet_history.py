"""Subnet hyperparameter changes (issue 14): the owner changes tempo, immunity period, weights
version, commit-reveal and max uids under a running operator (and one while it is down); each
change gives exactly one `HyperparameterChanged` Event and one `status.history` entry, the first
observation gives none, and a restarted operator reports nothing again."""

import time

from checks import events_for
from lifecycle_env import NETUID, chain_subnet, polled, start_chain  # noqa: F401
from manifests import NS


def changed_events(cluster):
    return sorted((e for e in events_for(cluster, "Subnet", "sn21") if e["reason"] == "HyperparameterChanged"),
                  key=lambda e: e.get("note") or e.get("message") or "")


def notes(cluster):
    return sorted((e.get("note") or e.get("message")) for e in changed_events(cluster))


def subnet_status(get):
    return (get("subnets", NS, "sn21") or {}).get("status") or {}


def history(get):
    return [(h["block"], h["parameter"], h["from"], h["to"]) for h in subnet_status(get).get("history", [])]


def test_hyperparameter_changes_give_one_event_and_history_entry_each(cluster, start_chain, start_operator,
                                                                       apply, get, wait_for):
    chain = start_chain(tempo=360, immunity_period=5000, weights_version=3, commit_reveal_enabled=True,
                        min_burn=500_000, max_burn=100 * 10**9, max_allowed_uids=256, activity_cutoff=5000)
    op = start_operator()
    apply(chain_subnet(chain))
    st = wait_for(lambda: (s := subnet_status(get)).get("block") == 1000 and s, timeout=30,
                  message="first observation recorded")
    assert {k: st.get(k) for k in ("tempo", "immunityPeriod", "weightsVersion", "commitRevealEnabled",
                                   "minBurnRao", "maxBurnRao", "maxAllowedUids", "activityCutoff")} == {
        "tempo": 360, "immunityPeriod": 5000, "weightsVersion": 3, "commitRevealEnabled": True,
        "minBurnRao": 500_000, "maxBurnRao": 100 * 10**9, "maxAllowedUids": 256, "activityCutoff": 5000}
    time.sleep(3)  # a poll or two more
    assert "history" not in subnet_status(get) and changed_events(cluster) == [], "first observation is silent"

    chain.set_subnet(NETUID, tempo=720)
    b1 = chain.advance()
    wait_for(lambda: len(changed_events(cluster)) == 1, timeout=20, message="tempo Event")
    [ev] = changed_events(cluster)
    assert ev["type"] == "Normal"
    assert notes(cluster) == [f"tempo changed 360 → 720 at block {b1}"]
    wait_for(lambda: history(get) == [(b1, "tempo", "360", "720")], timeout=10, message="tempo in history")
    entry = subnet_status(get)["history"][0]
    assert entry["time"].endswith("Z") and subnet_status(get)["tempo"] == 720

    chain.set_subnet(NETUID, immunity_period=4000)
    b2 = chain.advance()
    # polls are 2 s apart: wait for this one, or the next change lands in the same snapshot
    wait_for(lambda: len(history(get)) == 2, timeout=20, message="immunity period in history")
    # two at once, one Event each (the burn, which moves every block, is never one)
    chain.set_subnet(NETUID, weights_version=4, commit_reveal_enabled=False, burn=2 * 10**9)
    b3 = chain.advance()
    want = [(b1, "tempo", "360", "720"), (b2, "immunityPeriod", "5000", "4000"),
            (b3, "weightsVersion", "3", "4"), (b3, "commitRevealEnabled", "true", "false")]
    wait_for(lambda: history(get) == want, timeout=20, message="all four in history, oldest first")
    wait_for(lambda: len(changed_events(cluster)) == 4, timeout=10, message="four Events")
    time.sleep(4)  # later polls and resyncs: nothing again
    assert notes(cluster) == sorted([
        f"tempo changed 360 → 720 at block {b1}",
        f"immunityPeriod changed 5000 → 4000 at block {b2}",
        f"weightsVersion changed 3 → 4 at block {b3}",
        f"commitRevealEnabled changed true → false at block {b3}",
    ])
    assert history(get) == want

    # Down: the owner lowers max uids. The restarted operator reports that once, nothing else again.
    assert op.stop() == 0
    chain.set_subnet(NETUID, max_allowed_uids=128)
    b4 = chain.advance()
    restarted = start_operator()
    wait_for(lambda: polled(restarted, chain, b4), timeout=20, message="restarted operator polled")
    wait_for(lambda: len(changed_events(cluster)) == 5, timeout=20, message="the change made while down")
    chain.advance()
    time.sleep(5)
    assert history(get) == want + [(b4, "maxAllowedUids", "256", "128")]
    assert len(changed_events(cluster)) == 5, notes(cluster)
    assert f"maxAllowedUids changed 256 → 128 at block {b4}" in notes(cluster)
    assert subnet_status(get)["maxAllowedUids"] == 128
