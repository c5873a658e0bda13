"""The operator as a process: health endpoints, metrics, SIGTERM, what it never logs."""

import json
import time

from checks import events_for
from manifests import COLD_MNEMONIC, NS, neuron, secret, subnet


def test_sigterm_exits_zero_promptly_with_watches_open(cluster, start_operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron())
    op = start_operator()
    wait_for(lambda: get("statefulsets", NS, "miner-0"), message="reconciled once")
    watches = [r for r in cluster.requests if r.verb == "watch"]
    assert {r.resource for r in watches} >= {"neurons", "subnets"}, watches
    t0 = time.monotonic()
    assert op.stop(timeout=10) == 0, op.tail()
    assert time.monotonic() - t0 < 5, "shutdown took longer than 5 s"
    assert "panicked" not in op.text()


def test_health_and_metrics(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron())
    wait_for(lambda: get("statefulsets", NS, "miner-0"), message="reconciled once")
    assert operator.http_get("/healthz") is not None
    wait_for(lambda: operator.http_get("/readyz") is not None, message="/readyz 200")
    counts = wait_for(lambda: [line for line in operator.metrics().splitlines()
                               if line.startswith("tensorfleet_reconcile_duration_seconds_count{")],
                      message="reconcile histogram samples")
    assert all('controller="' in line for line in counts), counts
    assert any(float(line.rsplit(" ", 1)[1]) >= 1 for line in counts), counts


def test_json_logs_and_no_secret_anywhere(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    apply(neuron(wallet={"coldkeySecret": "cold-main"}))
    hk = wait_for(lambda: get("secrets", NS, "miner-0-hotkey"), message="generated hotkey")
    wait_for(lambda: get("secrets", NS, "miner-0-wallet"), message="wallet Secret")
    phrase = json.loads(__import__("base64").b64decode(hk["data"]["hotkey"]))["secretPhrase"]
    logs = operator.logs()
    assert logs and all("level" in entry for entry in logs), operator.tail()
    nrn = get("neurons", NS, "miner-0")
    exposed = operator.text() + json.dumps(nrn) + json.dumps(events_for(cluster, "Neuron", "miner-0"))
    for secret_text in (phrase, COLD_MNEMONIC, " ".join(phrase.split()[:4]), " ".join(COLD_MNEMONIC.split()[:4])):
        assert secret_text not in exposed


def test_api_errors_are_retried_and_counted(cluster, operator, apply, get, wait_for):
    cluster.inject(status=500, verb="patch", resource="statefulsets", times=1)
    cluster.inject(status=409, verb="patch", resource="neurons", subresource="status", times=1)
    apply(subnet())
    apply(neuron())
    # the first attempts fail; the retry (5 s backoff) must still converge
    wait_for(lambda: get("statefulsets", NS, "miner-0"), timeout=30, message="StatefulSet after a 500")
    wait_for(lambda: get("neurons", NS, "miner-0").get("status", {}).get("hotkey"), timeout=30,
             message="status after a 409")
    failed = [(r.verb, r.resource, r.status) for r in cluster.requests if r.status >= 500 or r.status == 409]
    assert ("patch", "statefulsets", 500) in failed and ("patch", "neurons", 409) in failed, failed
    errors = wait_for(lambda: [line for line in operator.metrics().splitlines()
                               if line.startswith("tensorfleet_reconcile_errors_total{")],
                      message="reconcile error counter")
    assert any('controller="neuron"' in line and float(line.rsplit(" ", 1)[1]) >= 1 for line in errors), errors


def test_leader_election_holds_and_releases_the_lease(cluster, start_operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron())
    op = start_operator("--leader-elect", "--lease-namespace", "tf-system", "--identity", "replica-a")
    lease = wait_for(lambda: (l := get("leases", "tf-system", "tensorfleet-operator"))
                     and l["spec"].get("holderIdentity") == "replica-a" and l, message="Lease held")
    assert lease["spec"]["leaseDurationSeconds"] == 15
    wait_for(lambda: get("statefulsets", NS, "miner-0"), message="the leader reconciles")
    assert op.stop() == 0, op.tail()
    released = get("leases", "tf-system", "tensorfleet-operator")
    assert not released["spec"].get("holderIdentity"), released["spec"]


def test_standby_replica_takes_over_when_the_leader_stops(cluster, start_operator, apply, get, wait_for):
    args = ("--leader-elect", "--lease-namespace", "tf-system", "--lease-duration-seconds", "4")
    a = start_operator(*args, "--identity", "replica-a")
    wait_for(lambda: (get("leases", "tf-system", "tensorfleet-operator") or {}).get("spec", {})
             .get("holderIdentity") == "replica-a", message="replica-a leads")
    b = start_operator(*args, "--identity", "replica-b")
    wait_for(lambda: "waiting for leadership" in [e.get("message") for e in b.logs()], message="b waits")
    time.sleep(1.0)  # and keeps waiting while a renews
    apply(subnet())
    apply(neuron())
    wait_for(lambda: get("statefulsets", NS, "miner-0"), message="leader reconciles")
    messages = [e.get("message") for e in b.logs()]
    assert "waiting for leadership" in messages, b.tail()
    assert "controllers started" not in messages and "became leader" not in messages, b.tail()
    assert a.stop() == 0
    wait_for(lambda: (get("leases", "tf-system", "tensorfleet-operator") or {}).get("spec", {})
             .get("holderIdentity") == "replica-b", timeout=15, message="replica-b takes over")
    wait_for(lambda: "became leader" in [e.get("message") for e in b.logs()], message="b logs its leadership")
    apply(neuron(name="after-failover"))
    wait_for(lambda: get("statefulsets", NS, "after-failover"), message="the new leader reconciles")
    assert b.proc.poll() is None
