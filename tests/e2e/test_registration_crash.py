"""Crash safety of registration: the operator process aborts at each step of a registration
(`TF_FAILPOINT`, compiled into fake-chain builds only) and is restarted; the fake chain must see
exactly one burn each time. Plus a lost inclusion answer without a crash."""

import pytest

from checks import events_for
from lifecycle_env import TAO, polled, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS


def settled(get):
    st = status(get)
    return "pendingRegistration" not in st and any(r["result"].startswith("Success")
                                                   for r in st.get("registration", [])) and st




@pytest.mark.parametrize("point", ["before_submit", "after_submit", "after_inclusion"])
def test_crash_at_each_registration_step_burns_once(cluster, start_chain, start_operator, apply, get,
                                                    wait_for, point):
    chain = start_chain(burn=TAO // 10)
    crashed = start_operator(env={"TF_FAILPOINT": f"registration:{point}"})
    setup(apply, chain)
    wait_for(lambda: crashed.proc.poll() is not None, timeout=30, message=f"abort at {point}")
    assert crashed.proc.returncode != 0
    assert any(line.get("failpoint") == f"registration:{point}" for line in crashed.logs())
    st = status(get)
    intent = st["pendingRegistration"]  # durable before anything was sent
    assert intent["limitRao"] == TAO and intent["nonce"] == 0 and intent["mortalUntilBlock"] == 1000 + 64
    assert st.get("registration", []) == []
    assert len(chain.burns()) == (0 if point == "before_submit" else 1)

    restarted = start_operator()
    if point == "before_submit":
        # Not included, but it could be until its mortal window closes: no new submission before.
        wait_for(lambda: any("may still be included" in line.get("message", "")
                             for line in restarted.logs()), timeout=30, message="intent probed")
        chain.advance(30)
        wait_for(lambda: polled(restarted, chain, 1030), timeout=20, message="polled at 1030")
        assert chain.ledger() == [] and "pendingRegistration" in status(get)
        chain.advance(intent["mortalUntilBlock"] + 1 - 1030)
    st = wait_for(lambda: settled(get), timeout=40, message="registration settled")
    wait_for(lambda: replicas(get) == 1, timeout=20, message="pod wanted")
    [burn] = chain.burns()
    results = [r["result"] for r in st["registration"]]
    if point == "before_submit":
        assert results == ["Expired", "Success"]
        assert st["registration"][1]["paidRao"] == burn["burned_rao"]
    else:
        # the answer was never handled: the chain says registered; the cost limit is recorded
        assert results == ["SuccessAmountUnknown"]
        assert st["registration"][0]["paidRao"] == intent["limitRao"] >= burn["burned_rao"]
    head = chain.advance(5)
    wait_for(lambda: polled(restarted, chain, head), timeout=20, message="more polls")
    assert len(chain.burns()) == 1


def test_lost_inclusion_answer_is_resolved_from_the_chain(cluster, start_chain, operator, apply, get,
                                                          wait_for):
    chain = start_chain(burn=TAO // 10)
    chain.inject_fault("register", "included_result_lost")
    setup(apply, chain)
    st = wait_for(lambda: settled(get), timeout=40, message="registration settled")
    assert [r["result"] for r in st["registration"]] == ["SuccessAmountUnknown"]
    assert len(chain.burns()) == 1 and chain.ledger()[0]["result_lost"] is True
    wait_for(lambda: {"RegistrationOutcomeUnknown", "Registered"}
             <= {e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")}, timeout=20,
             message="Events")
    head = chain.advance(5)
    wait_for(lambda: polled(operator, chain, head), timeout=20, message="more polls")
    assert len(chain.burns()) == 1
