"""Secret hygiene: the key material of every Secret a test stored (plus the suite's constants and
test vectors) must never show up in an operator log, an Event or a custom resource.

`material(secrets)` turns Secrets into `Needle`s: each says what it is ("mnemonic of Secret
miners/cold-main key 'mnemonic'") and the strings to look for: the whole mnemonic (any whitespace
between words, any case); seeds and private keys derived from it (bittensor-wallet) as hex, with
or without 0x and in any case, and as base64 (standard and URL-safe, padded or not); keyfile
JSON secretPhrase/secretSeed/privateKey values; `$NACL` passwords; and each Secret value
exactly as its base64 `.data` holds it. `scan(needles, haystacks)` reports where a needle was
found by label and location only, never the value, so a failure can be printed safely.
"""

from __future__ import annotations

import base64
import functools
import json
import pathlib
import re
from dataclasses import dataclass, field

from manifests import COLD_MNEMONIC

VECTORS = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "keys.json"
# Keys whose values are public by definition (API.md "Secrets", btcli's public keyfiles).
PUBLIC_KEYS = {"real", "coldkeypub.txt"}
# Shorter free-text values (e.g. "bar", "x") are too common to be told apart from ordinary log text.
MIN_TEXT = 8
# Byte strings at least this long count as key material (a seed of the wrong length still is).
MIN_BYTES = 16
KEYFILE_SECRETS = ("secretPhrase", "secretSeed", "privateKey")


@dataclass
class Needle:
    label: str  # what and whence, never the value
    exact: set[str] = field(default_factory=set)  # case-sensitive forms (base64, passwords)
    folded: set[str] = field(default_factory=set)  # lowercase forms, matched case-insensitively
    patterns: list[re.Pattern] = field(default_factory=list)

    def found_in(self, text: str, lowered: str) -> bool:
        return (any(s in text for s in self.exact) or any(s in lowered for s in self.folded)
                or any(p.search(text) for p in self.patterns))


def _b64_forms(raw: bytes) -> set[str]:
    """Base64 of `raw` on its own (unpadded: a prefix of the padded form), and the characters that
    depend on `raw` alone when it sits 1 or 2 bytes into a longer encoded blob."""
    out = set()
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        out.add(enc(raw).decode().rstrip("="))
        for skip, drop in ((1, 2), (2, 3)):
            s = enc(b"\0" * skip + raw).decode().rstrip("=")
            if len(s) - drop - 2 >= 16:
                out.add(s[drop:-2])
    return out


def _bytes_needle(label: str, raw: bytes) -> Needle:
    return Needle(label, exact=_b64_forms(raw), folded={raw.hex()})


def _text_needle(label: str, text: str, fold: bool = False) -> Needle:
    n = Needle(label, exact=_b64_forms(text.encode()))
    (n.folded if fold else n.exact).add(text.lower() if fold else text)
    return n


def _mnemonic_needles(label: str, phrase: str) -> list[Needle]:
    words = phrase.split()
    n = _text_needle(label, " ".join(words), fold=True)
    # any separators, including JSON-escaped newlines and tabs
    n.patterns.append(re.compile(r"(?:[\W_]|\\[nrt])+".join(map(re.escape, words)), re.IGNORECASE))
    out = [n]
    derived = _derived_from_mnemonic(" ".join(words))
    if derived:
        seed, private = derived
        out.append(_bytes_needle(f"seed derived from the {label}", seed))
        out.append(_bytes_needle(f"private key derived from the {label}", private))
    return out


@functools.lru_cache(maxsize=None)
def _derived_from_mnemonic(phrase: str) -> tuple[bytes, bytes] | None:
    kf = _keyfile_of("mnemonic", phrase)
    return kf and (_hex(kf["secretSeed"]), _hex(kf["privateKey"]))


@functools.lru_cache(maxsize=None)
def _private_from_seed(seed_hex: str) -> bytes | None:
    kf = _keyfile_of("seed", seed_hex)
    return kf and _hex(kf["privateKey"])


def _keyfile_of(kind: str, value: str) -> dict | None:
    from bittensor_wallet import Keypair
    from bittensor_wallet.keyfile import serialized_keypair_to_keyfile_data
    try:
        kp = Keypair.create_from_mnemonic(value) if kind == "mnemonic" else Keypair.create_from_seed(value)
        return json.loads(serialized_keypair_to_keyfile_data(kp))
    except Exception:  # noqa: BLE001 - not a valid key: nothing to derive
        return None


# $NACL file bytes -> the password that opens them. A secretbox opens under one key only, so any
# other password is wrong without spending an Argon2i run (512 MiB, seconds) to find out.
_NACL_PASSWORDS: dict[bytes, str] = {}


@functools.lru_cache(maxsize=None)
def _decrypt_nacl(data: bytes, password: str) -> str | None:
    """The plaintext of a `$NACL` keyfile (cached: one Argon2i run per file and password)."""
    from bittensor_wallet.keyfile import decrypt_keyfile_data
    if _NACL_PASSWORDS.get(data, password) != password:
        return None
    try:
        plain = decrypt_keyfile_data(data, password=password).decode()
    except Exception:  # noqa: BLE001 - wrong password or corrupted: nothing more to find
        return None
    _NACL_PASSWORDS[data] = password
    return plain


def _hex(s: str) -> bytes | None:
    s = s.strip()
    s = s[2:] if s[:2].lower() == "0x" else s
    try:
        return bytes.fromhex(s)
    except ValueError:
        return None


def _is_mnemonic(text: str) -> bool:
    words = text.split()
    return len(words) in (12, 15, 18, 21, 24) and all(w.isalpha() and w.islower() for w in words)


def value_needles(label: str, raw: bytes, password: str | None = None) -> list[Needle]:
    """Needles for one secret value (a Secret's data entry, a keyfile, a constant)."""
    out = []
    if raw.startswith(b"$NACL"):
        out.append(_bytes_needle(f"{label} ($NACL bytes)", raw))
        plain = _decrypt_nacl(raw, password) if password else None
        if plain:
            out += value_needles(f"decrypted {label}", plain.encode())
        return out
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return [_bytes_needle(label, raw)] if len(raw) >= MIN_BYTES else []
    stripped = text.strip()
    if len(stripped) < MIN_TEXT and not stripped.startswith("{"):
        return []
    try:
        doc = json.loads(stripped)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        fields = {k: doc[k] for k in KEYFILE_SECRETS if isinstance(doc.get(k), str) and doc[k].strip()}
        if fields:
            out.append(_text_needle(f"{label} (whole keyfile)", stripped))
        for k, v in fields.items():
            out += value_needles(f"{label} field {k}", v.encode())
        return out
    if _is_mnemonic(stripped):
        return _mnemonic_needles(f"mnemonic {label}", stripped)
    as_bytes = _hex(stripped) if re.fullmatch(r"(0[xX])?[0-9a-fA-F]+", stripped) else None
    if as_bytes is not None and len(as_bytes) >= MIN_BYTES:
        out.append(_bytes_needle(f"key bytes {label}", as_bytes))
        if len(as_bytes) == 32:
            private = _private_from_seed("0x" + as_bytes.hex())
            if private:
                out.append(_bytes_needle(f"private key derived from {label}", private))
        return out
    return [_text_needle(label, stripped)]


def _b64_or_raw(value: str) -> bytes:
    """A Secret's `.data` value; one that is not base64 (no API server would store it, the
    emulator does) is taken as the text it is."""
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        return value.encode()


def secret_needles(secret: dict) -> list[Needle]:
    """Every secret value of one Secret object (base64 `.data` or `stringData`)."""
    meta = secret.get("metadata") or {}
    where = f"Secret {meta.get('namespace')}/{meta.get('name')}"
    data = {k: _b64_or_raw(v) for k, v in (secret.get("data") or {}).items()}
    data.update({k: v.encode() for k, v in (secret.get("stringData") or {}).items()})
    password = data.get("password", b"").decode(errors="replace").rstrip("\r\n") or None
    out = []
    for key, raw in data.items():
        if key in PUBLIC_KEYS or key.endswith("pub.txt"):
            continue
        label = f"{where} key {key!r}"
        if key == "password":
            out += [_text_needle(f"password {label}", password)] if password and len(password) >= 6 else []
            continue
        out += value_needles(label, raw, password)
        encoded = (secret.get("data") or {}).get(key)
        if encoded and len(raw) >= MIN_TEXT:  # the Secret's own .data form, as a dumped object shows it
            out.append(Needle(f"{label} (as Secret .data)", exact={encoded.rstrip("=")}))
    return out


@functools.lru_cache(maxsize=1)
def constant_needles() -> tuple[Needle, ...]:
    """The suite's well-known keys: manifests.COLD_MNEMONIC and tests/vectors/keys.json."""
    out = _mnemonic_needles("mnemonic manifests.COLD_MNEMONIC", COLD_MNEMONIC)
    if VECTORS.is_file():
        v = json.loads(VECTORS.read_text())
        out += value_needles("tests/vectors mnemonic", v["mnemonic"]["phrase"].encode())
        out += value_needles("tests/vectors seed", v["seed"]["hex"].encode())
        out += value_needles("tests/vectors hotkey_keyfile", v["hotkey_keyfile"]["json"].encode())
        password = v["nacl_coldkey"]["password"]
        _NACL_PASSWORDS[bytes.fromhex(v["nacl_coldkey"]["file_hex"])] = password
        out.append(_text_needle("tests/vectors nacl_coldkey password", password))
        out.append(_bytes_needle("tests/vectors nacl_coldkey ($NACL bytes)",
                                 bytes.fromhex(v["nacl_coldkey"]["file_hex"])))
    return tuple(out)


def material(secrets: list[dict]) -> list[Needle]:
    out = list(constant_needles())
    for s in secrets:
        out += secret_needles(s)
    return out


def scan(needles: list[Needle], haystacks: list[tuple[str, str]]) -> list[str]:
    """`haystacks`: (location, text). Returns "label in location[:line]" for every hit."""
    hits = []
    for where, text in haystacks:
        lines = text.splitlines() or [text]
        lowered = text.lower()
        for n in needles:
            if not n.found_in(text, lowered):
                continue
            line = next((i for i, ln in enumerate(lines, 1) if n.found_in(ln, ln.lower())), None)
            hits.append(f"{n.label} found in {where}" + (f" line {line}" if line and len(lines) > 1 else ""))
    return hits


def redact(needles: list[Needle], text: str) -> str:
    """`text` with every form of every needle replaced (for printing a log tail)."""
    for n in needles:
        for s in n.exact:
            text = text.replace(s, "[REDACTED]")
        for s in n.folded:
            text = re.sub(re.escape(s), "[REDACTED]", text, flags=re.IGNORECASE)
        for p in n.patterns:
            text = p.sub("[REDACTED]", text)
    return text


def store_haystacks(cluster) -> list[tuple[str, str]]:
    """Events (both APIs) and every Subnet/Neuron/NeuronSet in the store, as JSON."""
    out = []
    for kind in ("events.k8s.io/v1/events", "v1/events", "subnets", "neurons", "neuronsets"):
        for obj in cluster.list(kind):
            meta = obj.get("metadata") or {}
            out.append((f"{obj.get('kind', kind)} {meta.get('namespace')}/{meta.get('name')}",
                        json.dumps(obj)))
    return out


def log_haystacks(root: pathlib.Path) -> list[tuple[str, str]]:
    return [(str(p.relative_to(root)), p.read_text(errors="replace")) for p in sorted(root.rglob("*.log"))]


class Hygiene:
    """One test's scan: `record(cluster)` before the emulator stops (every version of every
    Secret, the Events and custom resources), then `leaks()` after every process has exited."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        self.secrets: list[dict] = []
        self.store: list[tuple[str, str]] = []

    def record(self, cluster) -> None:
        self.secrets = cluster.every_version("v1/secrets")
        self.store = store_haystacks(cluster)

    def needles(self, cluster=None) -> list[Needle]:
        return material(cluster.every_version("v1/secrets") if cluster else self.secrets)

    def leaks(self) -> list[str]:
        return scan(self.needles(), self.store + log_haystacks(self.root))
