"""Secret hygiene (issue 8): the scanner behind conftest's autouse `secret_hygiene` fixture finds
key material in every form it claims to, and the operator, driven through its error paths with
secret-bearing inputs at full debug logging, leaks none of it."""

import base64
import json

import pytest
from bittensor_wallet import Keypair
from bittensor_wallet.keyfile import serialized_keypair_to_keyfile_data

import hygiene
from checks import events_for
from manifests import COLD_MNEMONIC, NS, neuron, secret, subnet
from test_bad_input import GENESIS, NACL, VECTORS, public_keyfile, raw_secret

MNEMONIC = Keypair.generate_mnemonic(12)
KEYFILE = json.loads(serialized_keypair_to_keyfile_data(Keypair.create_from_mnemonic(MNEMONIC)))
SEED = bytes.fromhex(KEYFILE["secretSeed"][2:])
PRIVATE = bytes.fromhex(KEYFILE["privateKey"][2:])
LOG_LINE = '{"level":"DEBUG","message":"loaded key","secret":"hk","value":"%s"}'


def leaky_forms():
    """(id, text a careless log line could contain)."""
    b64 = base64.b64encode
    return [
        ("seed-base64", b64(SEED).decode()),
        ("seed-base64-urlsafe-unpadded", base64.urlsafe_b64encode(SEED).decode().rstrip("=")),
        ("seed-base64-inside-a-blob", b64(b"\x01" + SEED + b"tail").decode()),
        ("seed-hex-0x", "0x" + SEED.hex()),
        ("seed-hex-upper-no-0x", SEED.hex().upper()),
        ("private-key-hex", PRIVATE.hex()),
        ("private-key-base64", b64(PRIVATE).decode()),
        ("mnemonic", MNEMONIC),
        ("mnemonic-other-whitespace", "\\n".join(MNEMONIC.split())),
        ("mnemonic-upper", MNEMONIC.upper()),
        ("mnemonic-base64", b64(MNEMONIC.encode()).decode()),
        ("secret-data-as-stored", secret("hk", {"mnemonic": MNEMONIC})["data"]["mnemonic"]),
        ("password", VECTORS["nacl_coldkey"]["password"]),
        ("cold-mnemonic-constant", COLD_MNEMONIC),
    ]


@pytest.mark.parametrize("form_id,text", leaky_forms(), ids=[f for f, _ in leaky_forms()])
def test_scanner_finds_key_material_in_a_log(form_id, text, tmp_path_factory):
    # outside tmp_path, so the autouse scan of this test does not see the planted leak
    logs = tmp_path_factory.mktemp("leaky")
    (logs / "operator.log").write_text("\n".join(['{"message":"starting"}', LOG_LINE % text, "{}"]))
    needles = hygiene.material([secret("hk", {"mnemonic": MNEMONIC})])
    hits = hygiene.scan(needles, hygiene.log_haystacks(logs))
    assert hits, f"{form_id}: not detected"
    assert any("operator.log line 2" in h for h in hits), hits
    report = "\n".join(hits)
    for secret_text in (text, MNEMONIC, SEED.hex(), PRIVATE.hex(), base64.b64encode(SEED).decode()):
        assert secret_text.lower() not in report.lower(), f"{form_id}: the report shows the secret"
    assert text not in hygiene.redact(needles, LOG_LINE % text)


def test_scanner_reads_keyfiles_seeds_and_nacl_passwords_and_stays_quiet_on_public_data(tmp_path_factory):
    logs = tmp_path_factory.mktemp("quiet")
    secrets = [
        raw_secret("kf", {"hotkey": json.dumps(KEYFILE).encode()}),
        raw_secret("sd", {"seed": ("0x" + SEED.hex()).encode()}),
        raw_secret("ck", {"coldkey": NACL, "password": b"wrong-but-secret\n"}),
    ]
    needles = hygiene.material(secrets)
    labels = " ".join(n.label for n in needles)
    for want in ("mnemonic Secret miners/kf key 'hotkey' field secretPhrase",
                 "Secret miners/kf key 'hotkey' field privateKey",
                 "private key derived from Secret miners/sd key 'seed'",
                 "password Secret miners/ck key 'password'", "Secret miners/ck key 'coldkey' ($NACL bytes)"):
        assert want in labels, (want, labels)
    # public material is not a leak: addresses, public keyfiles, public keys
    public = public_keyfile(MNEMONIC) + " " + KEYFILE["publicKey"] + " " + KEYFILE["ss58Address"]
    (logs / "operator.log").write_text(LOG_LINE % public)
    assert hygiene.scan(needles, hygiene.log_haystacks(logs)) == []
    (logs / "operator.log").write_text(LOG_LINE % "wrong-but-secret")
    assert hygiene.scan(needles, hygiene.log_haystacks(logs)), "a $NACL password is secret"


def test_scanner_finds_material_in_events_and_status(cluster, apply, secret_hygiene):
    apply(secret("hk", {"seed": "0x" + SEED.hex()}))
    apply({"apiVersion": "events.k8s.io/v1", "kind": "Event",
           "metadata": {"name": "leak", "namespace": NS},
           "regarding": {"kind": "Neuron", "name": "n", "namespace": NS},
           "reason": "Oops", "note": "seed " + base64.b64encode(SEED).decode(), "type": "Warning"})
    hits = hygiene.scan(secret_hygiene.needles(cluster), hygiene.store_haystacks(cluster))
    assert [h for h in hits if "Event miners/leak" in h], hits
    cluster.delete("events.k8s.io/v1/events", NS, "leak")  # or this test's own scan fails it


def test_operator_error_paths_with_secret_inputs_leak_nothing(cluster, start_chain, start_operator, apply, get,
                                                           wait_for, secret_hygiene):
    """Every key-parsing error path at RUST_LOG=debug (all crates, including the Kubernetes and
    HTTP clients), with real secrets inside the bad inputs."""
    chain = start_chain(GENESIS)
    op = start_operator(env={"RUST_LOG": "debug"})
    other = Keypair.generate_mnemonic(12)
    apply(subnet(endpoints=[chain.endpoint], pollIntervalSeconds=2))
    inputs = {
        # hotkeys: a real mnemonic in a keyfile whose public key is another's; in truncated JSON;
        # a seed one byte short; an encrypted hotkey (no password for pods)
        "hk-mismatch": ("hotkey", {"hotkey": json.dumps({**KEYFILE, "secretPhrase": other}).encode()}),
        "hk-truncated": ("hotkey", {"hotkey": json.dumps(KEYFILE).encode()[:-40]}),
        "hk-short-seed": ("hotkey", {"seed": ("0x" + SEED.hex()[:-2]).encode()}),
        "hk-upper-seed": ("hotkey", {"seed": ("0X" + SEED.hex().upper()).encode()}),
        "hk-nacl": ("hotkey", {"hotkey": NACL}),
        # coldkeys: a wrong and the right password; a mnemonic with a bad checksum
        "ck-wrong-password": ("coldkey", {"coldkey": NACL, "password": b"tf-wrong-password-1234\n"}),
        "ck-right-password": ("coldkey", {"coldkey": NACL,
                                          "password": VECTORS["nacl_coldkey"]["password"].encode()}),
        "ck-bad-checksum": ("coldkey", {"mnemonic": " ".join(other.split()[:11] + ["zoo"]).encode()}),
        "ck-proxy-bad-real": ("coldkey", {"proxy-mnemonic": MNEMONIC.encode(), "real": b"5Bad"}),
    }
    # no API server would store this (data must be base64); the Kubernetes client cannot parse
    # the answer and would log it raw if the operator let it
    apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hk-not-base64", "namespace": NS},
           "data": {"mnemonic": other}})
    apply(neuron(name="n-hk-not-base64", wallet={"hotkeySecret": "hk-not-base64", "generateHotkey": False}))
    for name, (role, data) in inputs.items():
        apply(raw_secret(name, data))
        wallet = {"hotkeySecret": name, "generateHotkey": False} if role == "hotkey" else {"coldkeySecret": name}
        apply(neuron(name=f"n-{name}", wallet=wallet, axon={"serve": False}, registration={"maxBurnTao": "0.5"}))

    def settled(name, role):
        if role == "hotkey":
            return any(e.get("type") == "Warning" for e in events_for(cluster, "Neuron", f"n-{name}"))
        st = (get("neurons", NS, f"n-{name}") or {}).get("status") or {}
        return any(c["type"] == "RegistrationBlocked" for c in st.get("conditions") or [])

    wait_for(lambda: all(settled(n, r) for n, (r, _) in inputs.items()), timeout=90,
             message="every Neuron reported its bad key (or, with the right password, a blocked registration)")
    wait_for(lambda: "Error deserializing response" in op.text() and "n-hk-not-base64" in op.text(),
             timeout=30, message="the unparsable Secret was read (a reconcile error)")
    assert chain.burns() == []
    assert op.stop() == 0
    secret_hygiene.record(cluster)
    needles = secret_hygiene.needles(cluster)
    labels = " ".join(n.label for n in needles)
    # the check is not vacuous: the material it looks for includes what the operator decrypted
    assert "decrypted Secret miners/ck-right-password" in labels
    assert "mnemonic Secret miners/n-ck-wrong-password-hotkey key 'hotkey' field secretPhrase" in labels
    assert len(op.text()) > 10_000, "debug logging was on"
    assert secret_hygiene.leaks() == []
