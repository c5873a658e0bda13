"""The emulator itself, over HTTP, as kube-rs uses it (no operator needed)."""

import json
import threading
import urllib.error
import urllib.request

import pytest


def http(cluster, method, path, body=None, ctype="application/json"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{cluster.port}{path}", data=data, method=method,
                                 headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


SECRETS = "/api/v1/namespaces/ns1/secrets"


def secret(name, **data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "labels": {"app": "x"}},
            "data": data}


def test_discovery(cluster):
    code, api = http(cluster, "GET", "/api")
    assert code == 200 and api["versions"] == ["v1"]
    code, core = http(cluster, "GET", "/api/v1")
    assert core["groupVersion"] == "v1"
    names = {r["name"] for r in core["resources"]}
    assert {"pods", "pods/status", "secrets", "services", "nodes", "events"} <= names
    code, groups = http(cluster, "GET", "/apis")
    by_name = {g["name"]: g for g in groups["groups"]}
    for group, version in [("apps", "v1"), ("coordination.k8s.io", "v1"), ("events.k8s.io", "v1"),
                           ("tensorfleet.io", "v1alpha1")]:
        assert by_name[group]["preferredVersion"] == {"groupVersion": f"{group}/{version}", "version": version}
    code, tf = http(cluster, "GET", "/apis/tensorfleet.io/v1alpha1")
    res = {r["name"]: r for r in tf["resources"]}
    assert res["neurons"]["kind"] == "Neuron" and res["neurons"]["shortNames"] == ["nrn"]
    assert res["neurons"]["categories"] == ["tensorfleet"] and res["neurons"]["namespaced"] is True
    assert res["neuronsets/scale"]["kind"] == "Scale"
    assert {"subnets", "subnets/status", "neuronsets/status"} <= set(res)
    assert http(cluster, "GET", "/apis/nope.io/v1")[0] == 404


def test_create_get_list_and_conflicts(cluster):
    code, created = http(cluster, "POST", SECRETS, secret("a", k="dg=="))
    assert code == 201
    meta = created["metadata"]
    assert meta["namespace"] == "ns1" and meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) > 0
    assert http(cluster, "POST", SECRETS, secret("a"))[0] == 409
    code, listed = http(cluster, "GET", SECRETS + "?labelSelector=app%3Dx")
    assert listed["kind"] == "SecretList" and listed["apiVersion"] == "v1"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a"]
    assert listed["items"][0]["kind"] == "Secret"
    assert http(cluster, "GET", SECRETS + "?labelSelector=app%21%3Dx")[1]["items"] == []
    stale = {**created, "data": {"k": "dw=="}}
    stale["metadata"] = {**meta, "resourceVersion": "1"}
    assert http(cluster, "PUT", SECRETS + "/a", stale)[0] == 409
    fresh = {**created, "data": {"k": "dw=="}}
    code, replaced = http(cluster, "PUT", SECRETS + "/a", fresh)
    assert code == 200 and replaced["data"] == {"k": "dw=="}
    assert replaced["metadata"]["uid"] == meta["uid"]
    assert http(cluster, "GET", SECRETS + "/missing")[1]["reason"] == "NotFound"


def test_apply_creates_prunes_and_noop_keeps_resource_version(cluster):
    url = "/apis/apps/v1/namespaces/ns1/statefulsets/s?fieldManager=tf&force=true"
    body = {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "s", "labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}}
    assert http(cluster, "PATCH", url.replace("fieldManager=tf&", ""), body, "application/apply-patch+yaml")[0] == 422
    code, first = http(cluster, "PATCH", url, body, "application/apply-patch+yaml")
    assert code == 200 and first["metadata"]["generation"] == 1
    again = http(cluster, "PATCH", url, body, "application/apply-patch+yaml")[1]
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    body["metadata"]["labels"] = {"a": "1"}
    body["spec"]["replicas"] = 0
    code, third = http(cluster, "PATCH", url, body, "application/apply-patch+yaml")
    assert third["metadata"]["labels"] == {"a": "1"} and third["spec"]["replicas"] == 0
    assert third["metadata"]["generation"] == 2


def test_status_subresource_and_json_patch_test_null(cluster):
    cluster.apply({"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Subnet",
                   "metadata": {"name": "sn", "namespace": "ns1"}, "spec": {"netuid": 1}})
    base = "/apis/tensorfleet.io/v1alpha1/namespaces/ns1/subnets/sn"
    code, obj = http(cluster, "PATCH", base, {"spec": {"netuid": 2}, "status": {"block": 5}},
                     "application/merge-patch+json")
    assert obj["spec"]["netuid"] == 2 and "status" not in obj and obj["metadata"]["generation"] == 2
    code, obj = http(cluster, "PATCH", base + "/status", {"spec": {"netuid": 3}, "status": {"block": 5}},
                     "application/merge-patch+json")
    assert obj["spec"]["netuid"] == 2 and obj["status"] == {"block": 5} and obj["metadata"]["generation"] == 2
    ops = [{"op": "test", "path": "/metadata/finalizers", "value": None},
           {"op": "add", "path": "/metadata/finalizers", "value": ["x/y"]}]
    code, obj = http(cluster, "PATCH", base, ops, "application/json-patch+json")
    assert code == 200 and obj["metadata"]["finalizers"] == ["x/y"]
    assert http(cluster, "PATCH", base, ops, "application/json-patch+json")[0] == 422
    # finalizers hold the deletion until they are removed
    code, obj = http(cluster, "DELETE", base)
    assert obj["metadata"]["deletionTimestamp"]
    assert cluster.get("subnets", "ns1", "sn") is not None
    http(cluster, "PATCH", base, {"metadata": {"finalizers": None}}, "application/merge-patch+json")
    assert cluster.get("subnets", "ns1", "sn") is None


def test_scale_subresource(cluster):
    cluster.apply({"apiVersion": "tensorfleet.io/v1alpha1", "kind": "NeuronSet",
                   "metadata": {"name": "set", "namespace": "ns1"},
                   "spec": {"replicas": 2}, "status": {"replicas": 1}})
    url = "/apis/tensorfleet.io/v1alpha1/namespaces/ns1/neuronsets/set/scale"
    code, scale = http(cluster, "GET", url)
    assert scale["kind"] == "Scale" and scale["spec"] == {"replicas": 2} and scale["status"]["replicas"] == 1
    code, scale = http(cluster, "PATCH", url, {"spec": {"replicas": 5}}, "application/merge-patch+json")
    assert code == 200 and scale["spec"]["replicas"] == 5
    assert cluster.get("neuronsets", "ns1", "set")["spec"]["replicas"] == 5


def test_watch_from_resource_version_with_selector_and_timeout(cluster):
    code, listed = http(cluster, "GET", SECRETS)
    rv = listed["metadata"]["resourceVersion"]
    lines = []

    def watch():
        url = (f"http://127.0.0.1:{cluster.port}{SECRETS}?watch=true&resourceVersion={rv}"
               "&labelSelector=app%3Dx&timeoutSeconds=2&allowWatchBookmarks=true")
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.headers["Content-Type"].startswith("application/json")
            lines.extend(json.loads(line) for line in r)

    t = threading.Thread(target=watch)
    t.start()
    http(cluster, "POST", SECRETS, secret("w"))
    http(cluster, "POST", SECRETS, {**secret("other"), "metadata": {"name": "other"}})
    http(cluster, "PATCH", SECRETS + "/w", {"metadata": {"labels": {"app": "y"}}}, "application/merge-patch+json")
    t.join(10)
    assert not t.is_alive(), "watch did not honour timeoutSeconds"
    events = [(e["type"], e["object"]["metadata"].get("name")) for e in lines if e["type"] != "BOOKMARK"]
    assert events == [("ADDED", "w"), ("DELETED", "w")]


def test_watch_too_old_is_gone(cluster):
    http(cluster, "POST", SECRETS, secret("a"))
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster.port}{SECRETS}?watch=true&resourceVersion=-5"
                                "&timeoutSeconds=1", timeout=5) as r:
        first = json.loads(r.readline())
    assert first["type"] == "ERROR" and first["object"]["code"] == 410


def test_request_log_faults_and_gc(cluster):
    cluster.inject(status=500, verb="create", resource="secrets", times=1)
    assert http(cluster, "POST", SECRETS, secret("a"))[0] == 500
    assert http(cluster, "POST", SECRETS, secret("a"))[0] == 201
    recs = [(r.verb, r.resource, r.namespace, r.status) for r in cluster.requests]
    assert recs == [("create", "secrets", "ns1", 500), ("create", "secrets", "ns1", 201)]
    owner = cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "o", "namespace": "ns1"}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": owner["metadata"]["uid"]}
    cluster.apply({**secret("child"), "metadata": {"name": "child", "namespace": "ns1", "ownerReferences": [ref]}})
    assert cluster.gc() == []
    cluster.delete("configmaps", "ns1", "o")
    assert cluster.gc() == [("secrets", "ns1", "child")]
    assert cluster.get("secrets", "ns1", "child") is None


@pytest.mark.parametrize("kind", ["neurons", "Neuron", "nrn", "tensorfleet.io/v1alpha1/neurons"])
def test_registry_names(cluster, kind):
    assert cluster.registry.find(kind).kind == "Neuron"


def test_service_node_port_allocated_and_kept(cluster):
    url = "/api/v1/namespaces/ns1/services/s?fieldManager=tf"
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"type": "NodePort", "ports": [{"name": "axon", "port": 8091}]}}
    first = http(cluster, "PATCH", url, body, "application/apply-patch+yaml")[1]
    node_port = first["spec"]["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767 and first["spec"]["clusterIP"]
    again = http(cluster, "PATCH", url, body, "application/apply-patch+yaml")[1]
    assert again["spec"]["ports"][0]["nodePort"] == node_port
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_watch_streaming_list_initial_events_end_bookmark(cluster):
    http(cluster, "POST", SECRETS, secret("a"))
    url = (f"http://127.0.0.1:{cluster.port}{SECRETS}?watch=true&sendInitialEvents=true"
           "&resourceVersionMatch=NotOlderThan&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=1")
    with urllib.request.urlopen(url, timeout=5) as r:
        events = [json.loads(line) for line in r]
    assert [e["type"] for e in events[:2]] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_injected_latency(cluster):
    import time
    cluster.set_latency(0.3)
    t0 = time.monotonic()
    assert http(cluster, "GET", SECRETS)[0] == 200
    assert time.monotonic() - t0 >= 0.3


def test_stall_counts_when_it_starts_and_other_requests_pass(cluster):
    import time
    fault = cluster.inject(delay=30, times=1, verb="get", resource="secrets")
    http(cluster, "POST", SECRETS, secret("a"))
    stalled = threading.Thread(target=lambda: pytest.raises(OSError, http, cluster, "GET", SECRETS + "/a"))
    stalled.start()
    cluster.wait_for(lambda: fault.hits == 1, message="the stalled request")
    t0 = time.monotonic()
    assert http(cluster, "GET", SECRETS + "/a")[0] == 200, "times=1: only the first one stalls"
    assert time.monotonic() - t0 < 2
    stalled.join(10)  # the client's 5 s timeout
    assert not stalled.is_alive()


def test_silenced_watch_sends_nothing_and_ignores_its_timeout(cluster):
    import socket
    import time
    lines, ended = [], []

    def watch():
        url = f"http://127.0.0.1:{cluster.port}{SECRETS}?watch=true&timeoutSeconds=1&allowWatchBookmarks=true"
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                lines.extend(json.loads(line) for line in r)
        except (socket.timeout, TimeoutError):
            ended.append("client timeout")
        else:
            ended.append("server closed")

    t = threading.Thread(target=watch)
    t.start()
    [stream] = cluster.wait_for(lambda: cluster.silence_watches("secrets"), message="the open watch")
    http(cluster, "POST", SECRETS, secret("unseen"))
    t.join(10)
    assert ended == ["client timeout"] and lines == [], (ended, lines)
    cluster.wait_for(lambda: stream.ended_at, message="the stream ends once the client left")
    assert stream.ended_at - stream.silenced_at >= 2.5
    # a new watch is served normally
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster.port}{SECRETS}?watch=true&timeoutSeconds=1",
                                timeout=5) as r:
        events = [json.loads(line) for line in r]
    assert [e["object"]["metadata"]["name"] for e in events] == ["unseen"] and time.monotonic() - t0 < 3
