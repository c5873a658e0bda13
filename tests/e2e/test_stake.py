"""Validator stake against the fake chain, through the ledger: reaches targetTao (the TAO value of
the coldkey's OWN alpha) in steps capped by maxAddPerDayTao per 24 h (a day is simulated by
ageing the recorded Spends), every step a price-limited `add_stake_limit`, never unstakes unless
allowed, and a crash between intent and submission never stakes twice."""

import datetime

from checks import cond_is, condition, events_for
from lifecycle_env import polled, NETUID, TAO, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS


def stakes(cluster):
    """The AddStake/RemoveStake Spends, oldest first."""
    items = [s for s in cluster.list("spends", NS) if s["spec"]["call"] in ("AddStake", "RemoveStake")]
    return sorted(items, key=lambda s: (s["spec"]["at"], s["spec"]["nonce"]))


def results(cluster):
    return [(s.get("status") or {}).get("result") for s in stakes(cluster)]


def own_stake_on_chain(chain, hotkey):
    snap = chain.snapshot(NETUID)
    return next((n["stake"] for n in snap["neurons"] if n["hotkey"] == hotkey), None)


def age_spends(cluster, hours=25):
    """Moves every recorded Spend `hours` into the past, as if a day had gone by."""
    for s in stakes(cluster):
        at = datetime.datetime.fromisoformat(s["spec"]["at"].replace("Z", "+00:00"))
        at = (at - datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
        cluster.patch("spends", NS, s["metadata"]["name"], {"spec": {"at": at}})


def test_validator_stake_reaches_target_in_capped_steps(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain, role="validator", stake={"targetTao": "2.5", "maxAddPerDayTao": "1"})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    hotkey = status(get)["hotkey"]
    for day, want in ((1, 1), (2, 2)):
        wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "False", "DailyCapReached")
                 and results(cluster) == ["Success"] * want, timeout=30, message=f"day {day}: capped")
        # (a stable subnet: price 1, one alpha per TAO, no swap fee)
        assert own_stake_on_chain(chain, hotkey) == want * TAO
        age_spends(cluster)
        # the aged Spends no longer count: the operator adds again (a watch event wakes it)
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "True", "TargetReached"),
             timeout=30, message="target reached")
    ops = stakes(cluster)
    assert [(o["spec"]["call"], o["spec"]["amountRao"], o["status"]["result"], o["status"]["paidRao"])
            for o in ops] == [("AddStake", TAO, "Success", TAO), ("AddStake", TAO, "Success", TAO),
                              ("AddStake", TAO // 2, "Success", TAO // 2)]
    # every add carried a price bound 1 % (the default maxSlippagePercent) above the price of 1
    assert {o["spec"]["limitPriceRao"] for o in ops} == {TAO * 101 // 100}
    assert own_stake_on_chain(chain, hotkey) == 5 * TAO // 2
    methods = [e["method"] for e in chain.ledger() if "stake" in e["method"]]
    assert methods == ["add_stake_limit"] * 3, methods
    st = status(get)["chain"]
    assert (st["ownStakeRao"], st["ownStakeTao"]) == (5 * TAO // 2, "2.5")
    wait_for(lambda: "StakeAdded" in [e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")],
             timeout=20, message="StakeAdded Event")

    # above the target: never unstaked (allowUnstake is false)
    chain.set_figures(NETUID, hotkey, stake=5 * TAO)
    head = chain.advance(3)
    wait_for(lambda: (status(get).get("chain") or {}).get("ownStakeRao") == 5 * TAO,
             timeout=20, message="stake 5 TAO seen")
    wait_for(lambda: polled(operator, chain, head), timeout=20, message="polled")
    assert not [e for e in chain.ledger() if e["method"].startswith("remove_stake")]
    assert cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "True")


def test_stake_is_valued_at_the_pool_price(cluster, start_chain, operator, apply, get, wait_for):
    """The case of issue 13: a pool at 4 TAO per alpha and targetTao 2 with a 10 TAO daily cap.
    The operator buys about half an alpha for about 2 TAO, not 10 TAO of alpha."""
    chain = start_chain(burn=TAO // 10, swap_mechanism=1, pool_tao=4_000 * TAO, pool_alpha=1_000 * TAO)
    setup(apply, chain, role="validator", stake={"targetTao": "2", "maxAddPerDayTao": "10"})
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "True", "TargetReached"),
             timeout=40, message="target reached")
    ops = stakes(cluster)
    paid = sum(o["status"]["paidRao"] for o in ops)
    # the fee and the pool's slippage may need one top-up of the chain's minimum stake
    assert 2 * TAO * 99 // 100 <= paid <= 2 * TAO + 3_000_000, (paid, results(cluster))
    st = status(get)["chain"]
    own_alpha = st["ownStakeRao"]
    assert abs(own_alpha - TAO // 2) < TAO // 200, own_alpha
    assert float(st["ownStakeTao"]) >= 2.0
    msg = condition(get("neurons", NS, "miner-0"), "StakeSatisfied")["message"]
    assert "own stake worth" in msg, msg


def test_crash_before_stake_submission_never_stakes_twice(cluster, start_chain, start_operator, apply, get,
                                                          wait_for):
    chain = start_chain(burn=TAO // 10)
    crashed = start_operator(env={"TF_FAILPOINT": "stake:before_submit"})
    setup(apply, chain, role="validator", stake={"targetTao": "1"})
    wait_for(lambda: crashed.proc.poll() is not None, timeout=30, message="abort before the stake submission")
    [intent] = stakes(cluster)
    assert intent["spec"]["call"] == "AddStake" and intent["spec"]["amountRao"] == TAO
    assert "status" not in intent or not intent["status"].get("result")
    assert not [e for e in chain.ledger() if e["method"].startswith("add_stake")]
    op = start_operator()
    # the intent could still be included until its window closes: nothing new before that
    head = chain.advance(10)
    wait_for(lambda: polled(op, chain, head), timeout=20, message="polled")
    assert results(cluster) == [None]
    assert not [e for e in chain.ledger() if e["method"].startswith("add_stake")]
    # past the window (and the margin for an endpoint a few blocks behind): Expired, then staked
    chain.advance(intent["spec"]["mortalUntilBlock"] + 10 - head)
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "StakeSatisfied", "True"), timeout=60,
             message="staked after the intent expired")
    assert sorted(results(cluster)) == ["Expired", "Success"]
    assert len([e for e in chain.ledger() if e["method"].startswith("add_stake")]) == 1


def test_miner_has_no_stake_condition(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    assert condition(get("neurons", NS, "miner-0"), "StakeSatisfied") is None
    assert not [e for e in chain.ledger() if "stake" in e["method"]]
