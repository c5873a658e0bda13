"""Identity-safe registration against the fake chain (issue 13): a hotkey swapped on chain by its
coldkey is not registered again (HotkeySwapped, the pod scaled to zero); a netuid dissolved and
registered anew is another subnet (SubnetReplaced: nothing spent until the user confirms it on
the Neuron); a registered Neuron whose hotkey Secret is deleted gets no new, paid key."""

import time

from bittensor_wallet import Keypair

from checks import cond_is, condition, events_for
from lifecycle_env import COLD, NETUID, TAO, polled, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS

CONFIRM_SUBNET = "tensorfleet.io/confirm-subnet-registered-at"


def fresh_ss58():
    return Keypair.create_from_mnemonic(Keypair.generate_mnemonic()).ss58_address


def registered(get, name="miner-0"):
    return cond_is(get("neurons", NS, name), "Registered", "True")


def quiet_for(operator, chain, seconds, blocks_per_step=3):
    """Lets the chain move and the operator poll it for `seconds`."""
    end = time.time() + seconds
    while time.time() < end:
        head = chain.advance(blocks_per_step)
        deadline = time.time() + 10
        while not polled(operator, chain, head) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1)


def test_a_swapped_hotkey_is_named_and_never_registered_again(cluster, start_chain, operator, apply, get,
                                                             wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: registered(get) and replicas(get) == 1, timeout=40, message="registered, pod up")
    old = status(get)["hotkey"]
    uid = status(get)["uid"]
    new = fresh_ss58()
    out = chain.swap_hotkey(COLD, old, new)
    assert out["result"] == "Success", out
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "HotkeySwapped", "True"), timeout=30,
             message="HotkeySwapped")
    msg = condition(get("neurons", NS, "miner-0"), "HotkeySwapped")["message"]
    assert old in msg and new in msg, msg
    assert cond_is(get("neurons", NS, "miner-0"), "RegistrationBlocked", "True", "HotkeySwapped")
    wait_for(lambda: replicas(get) == 0, timeout=20, message="the pod with the old key scaled to zero")
    wait_for(lambda: "HotkeySwapped" in [e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")],
             timeout=20, message="HotkeySwapped Event")
    # blocks go by (the 45 s of blocks): the old key is not registered on a new uid
    quiet_for(operator, chain, 45)
    assert len(chain.burns()) == 1, chain.burns()
    snap = chain.snapshot(NETUID)
    assert [n["uid"] for n in snap["neurons"] if n["hotkey"] == new] == [uid]
    assert not [n for n in snap["neurons"] if n["hotkey"] == old]


def test_a_replaced_subnet_waits_for_the_users_confirmation(cluster, start_chain, operator, apply, get,
                                                           wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: registered(get), timeout=40, message="registered")
    # the netuid is dissolved and another subnet registered there (burn 1 TAO: within the cap)
    _, cfg = chain.reuse_netuid(NETUID, fresh_ss58(), fresh_ss58(), subtoken_enabled=True)
    now = cfg["registered_at"]
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "SubnetReplaced", "True"), timeout=30,
             message="SubnetReplaced")
    msg = condition(get("neurons", NS, "miner-0"), "SubnetReplaced")["message"]
    assert str(now) in msg and CONFIRM_SUBNET in msg, msg
    assert cond_is(get("neurons", NS, "miner-0"), "RegistrationBlocked", "True", "SubnetReplaced")
    quiet_for(operator, chain, 8)
    assert len(chain.burns()) == 1, "nothing spent on the new subnet before the confirmation"

    n = get("neurons", NS, "miner-0")
    cluster.patch("neurons", NS, "miner-0", {"metadata": {"annotations": {CONFIRM_SUBNET: str(now)}}})
    wait_for(lambda: registered(get) and len(chain.burns()) == 2, timeout=40,
             message="registered on the confirmed subnet")
    assert condition(get("neurons", NS, "miner-0"), "SubnetReplaced") is None
    assert n["metadata"]["uid"] == get("neurons", NS, "miner-0")["metadata"]["uid"]


def test_a_registered_neurons_deleted_hotkey_secret_is_not_replaced(cluster, start_chain, operator, apply,
                                                                    get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: registered(get), timeout=40, message="registered")
    old = status(get)["hotkey"]
    cluster.delete("secrets", NS, "miner-0-hotkey")
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "Ready", "False", "HotkeySecretMissing"),
             timeout=30, message="HotkeySecretMissing")
    msg = condition(get("neurons", NS, "miner-0"), "Ready")["message"]
    assert old in msg and "restore" in msg, msg
    quiet_for(operator, chain, 6)
    assert get("secrets", NS, "miner-0-hotkey") is None, "no new key generated"
    assert len(chain.burns()) == 1
