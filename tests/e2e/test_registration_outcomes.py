"""How registration outcomes the chain reports reach the Neuron (fake chain, which follows HEAD's
rules): a proxied registration whose inner call fails at dispatch is a recorded failure that paid
nothing, a proxy key of a type that may not register is named and never submits, and an announced
coldkey swap blocks spending until it is withdrawn."""

import time

from checks import cond_is, condition, ss58_of_mnemonic
from lifecycle_env import COLD, NETUID, TAO, chain_subnet, auto_neuron, replicas, start_chain, status  # noqa: F401
from manifests import COLD_MNEMONIC, NS, secret

PROXY_MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PROXY = ss58_of_mnemonic(PROXY_MNEMONIC)


def proxied_setup(apply, chain, proxy_type, **subnet_kw):
    chain.set_balance(PROXY, TAO)
    chain.add_proxy(COLD, PROXY, proxy_type=proxy_type)
    apply(chain_subnet(chain, **subnet_kw))
    apply(secret("cold-proxy", {"proxy-mnemonic": PROXY_MNEMONIC, "real": COLD}))
    apply(auto_neuron("miner-0", wallet={"coldkeySecret": "cold-proxy"}))


def test_a_failed_inner_call_of_a_proxy_is_recorded_as_failed_and_paid_nothing(
        cluster, start_chain, operator, apply, get, wait_for):
    # The devnet case of the issue: the subnet allows no more registrations per block, so the
    # proxied burned_register fails at dispatch while Proxy.proxy itself succeeds.
    chain = start_chain(burn=TAO // 1000, max_regs_per_block=0)
    cold_before = chain.account(COLD)["free"]
    proxied_setup(apply, chain, "Registration")
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "miner-0"), "RegistrationBlocked", "True",
                                 "RetryBackoff") and x, timeout=40, message="the failure pause")
    recs = status(get)["registration"]
    assert [r["result"] for r in recs] == ["TooManyRegistrationsThisBlock"], recs
    assert recs[0]["paidRao"] == 0, recs
    assert "1 failed registration(s) in a row" in condition(n, "RegistrationBlocked")["message"]
    time.sleep(6)  # the pause holds: no resubmission loop
    ledger = chain.ledger()
    assert len(ledger) == 1 and ledger[0]["via_proxy"] and ledger[0]["burned_rao"] == 0, ledger
    assert chain.account(COLD)["free"] == cold_before, "the coldkey paid nothing"
    assert replicas(get) == 0
    sn = get("subnets", NS, "sn21")["status"]
    assert sn.get("spentRaoLast24h", 0) == 0, sn


def test_a_proxy_type_that_may_not_register_is_named_and_nothing_is_submitted(
        cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 1000)
    proxied_setup(apply, chain, "Staking")
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "miner-0"), "RegistrationBlocked", "True",
                                 "ProxyMisconfigured") and x, timeout=40, message="ProxyMisconfigured")
    msg = condition(n, "RegistrationBlocked")["message"]
    assert PROXY in msg and COLD in msg and "Staking (delay 0)" in msg, msg
    assert "needs a Registration (or Any) proxy" in msg, msg
    time.sleep(4)
    assert chain.ledger() == [], "refused before signing"
    assert not status(get).get("registration")
    # Granting the right type fixes it: the next look registers through the proxy.
    chain.add_proxy(COLD, PROXY, proxy_type="Registration")
    wait_for(lambda: replicas(get) == 1, timeout=90, message="registered once the proxy may register")
    [burn] = chain.burns()
    assert burn["payer"] == COLD and burn["signer"] == PROXY


def test_an_announced_coldkey_swap_blocks_every_spend_until_withdrawn(
        cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 1000)
    chain.set_coldkey_swap(COLD, executable_at=5000)
    apply(chain_subnet(chain))
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    apply(auto_neuron("miner-0"))
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "miner-0"), "RegistrationBlocked", "True",
                                 "ColdkeySwapAnnounced") and x, timeout=40, message="ColdkeySwapAnnounced")
    msg = condition(n, "RegistrationBlocked")["message"]
    assert COLD in msg and "block 5000" in msg and "nothing is spent" in msg, msg
    time.sleep(3)
    assert chain.ledger() == []
    chain.set_coldkey_swap(COLD, None)
    wait_for(lambda: replicas(get) == 1, timeout=90, message="registered once the swap was withdrawn")
    assert len(chain.burns()) == 1
