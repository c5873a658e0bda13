"""images/operator/Dockerfile and .dockerignore, checked statically (no container engine here)."""

from __future__ import annotations

import fnmatch
import json
import re

from packaging_support import ROOT

DOCKERFILE = ROOT / "images" / "operator" / "Dockerfile"


def instructions():
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def stages():
    cur = None
    result = []
    for op, rest in instructions():
        if op == "FROM":
            cur = {"from": rest, "ops": []}
            result.append(cur)
        elif cur is not None:
            cur["ops"].append((op, rest))
    return result


def test_multi_stage_with_small_runtime():
    st = stages()
    assert len(st) >= 2, "build and runtime stages"
    assert re.search(r"\bAS build\b", st[0]["from"], re.I)
    runtime = st[-1]
    assert "distroless" in runtime["from"] or "scratch" in runtime["from"], runtime["from"]
    assert not any(op == "RUN" for op, _ in runtime["ops"]), "no shell in the runtime stage"
    copies = [rest for op, rest in runtime["ops"] if op == "COPY"]
    assert copies == ["--from=build /out/tensorfleet /usr/local/bin/tensorfleet"]


def test_release_build_is_locked_and_builds_the_binary():
    run = " ".join(rest for op, rest in stages()[0]["ops"] if op == "RUN")
    assert "cargo build --release --locked --bin tensorfleet" in run
    cargo = (ROOT / "operator" / "Cargo.toml").read_text()
    assert re.search(r'\[\[bin\]\]\s*name = "tensorfleet"', cargo)


def test_non_root_user_and_entrypoint():
    runtime = dict((op, rest) for op, rest in stages()[-1]["ops"])
    user = runtime["USER"].split(":")
    assert all(u.isdigit() and int(u) > 0 for u in user), "numeric non-root uid:gid (runAsNonRoot can verify it)"
    assert json.loads(runtime["ENTRYPOINT"]) == ["/usr/local/bin/tensorfleet"]
    assert json.loads(runtime["CMD"]) == ["run"]


def dockerignore_excludes(path: str) -> bool:
    excluded = False
    for pat in (ROOT / ".dockerignore").read_text().splitlines():
        pat = pat.strip()
        if not pat or pat.startswith("#"):
            continue
        neg = pat.startswith("!")
        pat = pat.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(fnmatch.fnmatchcase(p, pat) or fnmatch.fnmatchcase(p, pat.replace("**/", "")) for p in prefixes):
            excluded = not neg
    return excluded


def test_build_context_has_what_the_dockerfile_copies():
    sources = []
    for op, rest in stages()[0]["ops"]:
        if op == "COPY":
            sources += rest.split()[:-1]
    assert sources == ["Cargo.toml", "Cargo.lock", "operator", "tests/bench/apiserver"]
    for s in sources:
        assert (ROOT / s).exists(), s
    members = re.search(r"members\s*=\s*\[([^\]]*)\]", (ROOT / "Cargo.toml").read_text()).group(1)
    assert sorted(re.findall(r'"([^"]+)"', members)) == sorted(sources[2:]), "every workspace member is copied"
    for f in ["Cargo.toml", "Cargo.lock", "operator/Cargo.toml", "operator/src/main.rs", "operator/src/api/mod.rs",
              "tests/bench/apiserver/Cargo.toml", "tests/bench/apiserver/src/main.rs"]:
        assert not dockerignore_excludes(f), f"{f} is excluded from the build context"
    for f in ["target/debug/tensorfleet", "charts/tensorfleet/Chart.yaml", ".git/HEAD", "tests/packaging/packaging_support.py"]:
        assert dockerignore_excludes(f), f"{f} would be sent to the builder"
