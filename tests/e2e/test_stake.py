"""Validator stake against the fake chain: reaches targetTao in steps capped by maxAddPerDayTao
per 24 h (a day is simulated by ageing the recorded operations), never unstakes unless allowed."""

from checks import cond_is, condition, events_for
from cluster import WaitTimeout
from lifecycle_env import polled, NETUID, TAO, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS


def stake_on_chain(chain, hotkey):
    snap = chain.snapshot(NETUID)
    return next((n["stake"] for n in snap["neurons"] if n["hotkey"] == hotkey), None)


def age_operations(cluster, hours=25):
    """Moves every recorded stake operation `hours` into the past, as if a day had gone by."""
    import datetime
    n = cluster.get("neurons", NS, "miner-0")
    st = n["status"]
    for op in st["stakeOperations"]:
        at = datetime.datetime.fromisoformat(op["at"].replace("Z", "+00:00"))
        op["at"] = (at - datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cluster.set_status("neurons", NS, "miner-0", st)


def ops_after(cluster, get, wait_for, n):
    """Ages the operations until the operator acts on it (a status write of the operator racing
    with the test's edit may put the old times back)."""
    for _ in range(6):
        age_operations(cluster)
        try:
            return wait_for(lambda: len(status(get).get("stakeOperations", [])) > n, timeout=5,
                            message="next day's operation")
        except WaitTimeout:  # the edit was overwritten: age again
            continue
    raise AssertionError("no stake operation after simulating a day")


def test_validator_stake_reaches_target_in_capped_steps(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain, role="validator", stake={"targetTao": "2.5", "maxAddPerDayTao": "1"})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    hotkey = status(get)["hotkey"]
    for day, want_ops in ((1, 1), (2, 2)):
        wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "False", "DailyCapReached")
                 and len(status(get).get("stakeOperations", [])) == want_ops, timeout=30,
                 message=f"day {day}: capped")
        assert stake_on_chain(chain, hotkey) == want_ops * TAO
        ops_after(cluster, get, wait_for, want_ops)
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "True", "TargetReached"),
             timeout=30, message="target reached")
    ops = status(get)["stakeOperations"]
    assert [(o["kind"], o["amountRao"], o["result"]) for o in ops] == [
        ("Add", TAO, "Success"), ("Add", TAO, "Success"), ("Add", TAO // 2, "Success")]
    assert stake_on_chain(chain, hotkey) == 5 * TAO // 2
    assert chain.calls().get("add_stake") == 3
    assert "pendingStake" not in status(get)
    wait_for(lambda: "StakeAdded" in [e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")],
             timeout=20, message="StakeAdded Event")

    # above the target: never unstaked (allowUnstake is false)
    chain.set_figures(NETUID, hotkey, stake=5 * TAO)
    head = chain.advance(3)
    wait_for(lambda: (get("neurons", NS, "miner-0")["status"].get("chain") or {}).get("stakeRao") == 5 * TAO,
             timeout=20, message="stake 5 TAO seen")
    wait_for(lambda: polled(operator, chain, head), timeout=20,
             message="polled")
    assert not chain.calls().get("remove_stake")
    assert cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "True")


def test_miner_has_no_stake_condition(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    assert condition(get("neurons", NS, "miner-0"), "StakeSatisfied") is None
    assert not chain.calls().get("add_stake")


def test_crash_before_stake_submission_never_stakes_twice(cluster, start_chain, start_operator, apply, get,
                                                          wait_for):
    chain = start_chain(burn=TAO // 10)
    crashed = start_operator(env={"TF_FAILPOINT": "stake:before_submit"})
    setup(apply, chain, role="validator", stake={"targetTao": "1"})
    wait_for(lambda: crashed.proc.poll() is not None, timeout=30, message="abort before the stake submission")
    intent = status(get)["pendingStake"]
    assert intent["kind"] == "Add" and intent["amountRao"] == TAO
    assert not [e for e in chain.ledger() if e["method"] == "add_stake"]
    op = start_operator()
    # the intent could still be included until its window closes: nothing new before that
    head = chain.advance(10)
    wait_for(lambda: polled(op, chain, head), timeout=20,
             message="polled")
    assert "pendingStake" in status(get) and not chain.calls().get("add_stake")
    chain.advance(intent["mortalUntilBlock"] + 1 - head)
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "True"), timeout=40,
             message="staked after the intent expired")
    assert [o["result"] for o in status(get)["stakeOperations"]] == ["Expired", "Success"]
    assert len([e for e in chain.ledger() if e["method"] == "add_stake"]) == 1
