"""Crash safety of registration: the operator process aborts at each step of a registration
(`TF_FAILPOINT`, compiled into fake-chain builds only) and is restarted; the fake chain must see
exactly one burn each time, and the ledger (`Spend` objects) one record of it. Plus a lost
inclusion answer without a crash."""

import pytest

from checks import events_for
from lifecycle_env import TAO, polled, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS


def settled(get):
    st = status(get)
    return "pendingRegistration" not in st and any(r["result"].startswith("Success")
                                                   for r in st.get("registration", [])) and st


def spends(cluster):
    return sorted(cluster.list("spends", NS), key=lambda s: s["spec"]["at"])




@pytest.mark.parametrize("point", ["before_submit", "after_submit", "after_inclusion"])
def test_crash_at_each_registration_step_burns_once(cluster, start_chain, start_operator, apply, get,
                                                    wait_for, point):
    chain = start_chain(burn=TAO // 10)
    crashed = start_operator(env={"TF_FAILPOINT": f"registration:{point}"})
    setup(apply, chain)
    wait_for(lambda: crashed.proc.poll() is not None, timeout=30, message=f"abort at {point}")
    assert crashed.proc.returncode != 0
    assert any(line.get("failpoint") == f"registration:{point}" for line in crashed.logs())
    # Durable before anything was sent: the intent, in the ledger.
    [intent] = spends(cluster)
    spec = intent["spec"]
    assert (spec["call"], spec["limitRao"], spec["nonce"]) == ("Register", TAO, 0)
    assert spec["mortalUntilBlock"] == spec["birthBlock"] + 64 and intent.get("status") is None
    assert len(chain.burns()) == (0 if point == "before_submit" else 1)

    restarted = start_operator()
    if point == "before_submit":
        # Not included, but it could be until its mortal window closes: no new submission before.
        wait_for(lambda: any("may still be included" in line.get("message", "")
                             for line in restarted.logs()), timeout=30, message="intent probed")
        chain.advance(30)
        wait_for(lambda: polled(restarted, chain, 1030), timeout=20, message="polled at 1030")
        assert chain.ledger() == [] and len(spends(cluster)) == 1
        # past the window and the margin for an endpoint a few blocks behind (8 blocks)
        chain.advance(spec["mortalUntilBlock"] + 9 - 1030)
    st = wait_for(lambda: settled(get), timeout=40, message="registration settled")
    wait_for(lambda: replicas(get) == 1, timeout=20, message="pod wanted")
    [burn] = chain.burns()
    results = [(s["status"]["result"], s["status"]["resolvedBy"]) for s in spends(cluster)]
    if point == "before_submit":
        assert results == [("Expired", "ChainScan"), ("Success", "Inclusion")]
    else:
        # The answer was never handled: the block scan found the extrinsic and read its events.
        assert results == [("Success", "ChainScan")]
    paid = spends(cluster)[-1]["status"]
    assert (paid["paidRao"], paid["txHash"]) == (burn["burned_rao"], burn["tx_hash"])
    assert [r["result"] for r in st["registration"]] == [r for r, _ in results]
    head = chain.advance(5)
    wait_for(lambda: polled(restarted, chain, head), timeout=20, message="more polls")
    assert len(chain.burns()) == 1 and len(spends(cluster)) == len(results)


def test_lost_inclusion_answer_is_resolved_from_the_chain(cluster, start_chain, operator, apply, get,
                                                          wait_for):
    chain = start_chain(burn=TAO // 10)
    chain.inject_fault("register", "included_result_lost")
    setup(apply, chain)
    st = wait_for(lambda: settled(get), timeout=40, message="registration settled")
    # Resolved from the block's events all the same: the amount is known.
    [burn] = chain.burns()
    assert [(r["result"], r["paidRao"]) for r in st["registration"]] == [("Success", burn["burned_rao"])]
    assert chain.ledger()[0]["result_lost"] is True
    [spend] = spends(cluster)
    assert spend["status"]["resolvedBy"] == "ChainScan"
    wait_for(lambda: {"RegistrationOutcomeUnknown", "Registered"}
             <= {e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")}, timeout=20,
             message="Events")
    head = chain.advance(5)
    wait_for(lambda: polled(operator, chain, head), timeout=20, message="more polls")
    assert len(chain.burns()) == 1
