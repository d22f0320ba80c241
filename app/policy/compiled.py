"""The compiled policy: ``opa build -t wasm`` output, committed with its source hash.

``gatehouse policy build`` runs the real OPA compiler over the policy modules (never
the data: data is handed to the module at run time, so per-installation overrides work
without a rebuild) with the three gate decisions as entrypoints, and writes two files
into the compiled-policy folder (``compiled-policy/`` at the repository root by default):

- ``policy.wasm``: the module;
- ``manifest.json``: the source hash (``load_bundle(policy_dir).hash`` over the modules
  and ``data.json``, without overrides), the module's sha256, the OPA version and the
  entrypoints.

``load_compiled_policy`` refuses a missing, altered or stale artefact with a
``CompiledPolicyError`` that names the command to run: the embedded engine never falls
back to anything else. The committed artefact lets a fresh clone run the embedded
engine with no Go toolchain and no OPA binary.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.policy.bundle import PolicyBundle, load_bundle
from app.policy.decision import GATES
from app.policy.errors import CompiledPolicyError

__all__ = [
    "DEFAULT_COMPILED_DIR",
    "MANIFEST_FILE",
    "MODULE_FILE",
    "REBUILD_COMMAND",
    "CompiledPolicy",
    "build_compiled_policy",
    "entrypoint",
    "load_compiled_policy",
]

#: Where the repository keeps the artefact for its own ``policies/``.
DEFAULT_COMPILED_DIR = Path(__file__).resolve().parents[2] / "compiled-policy"
MODULE_FILE = "policy.wasm"
MANIFEST_FILE = "manifest.json"
#: What to run when the artefact is missing or stale.
REBUILD_COMMAND = "gatehouse policy build"


def entrypoint(gate: str) -> str:
    """The compiled entrypoint of a gate's decision rule."""
    return f"gates/{gate}/decision"


@dataclass(frozen=True)
class CompiledPolicy:
    """A verified compiled policy: the module bytes and what it was built from."""

    #: The wasm module.
    wasm: bytes
    #: ``load_bundle(policy_dir).hash`` of the sources it was compiled from.
    source_hash: str
    #: The OPA version that compiled it.
    opa_version: str


def _opa_version(opa: Path) -> str:
    done = subprocess.run([str(opa), "version"], capture_output=True, text=True, check=False)
    first = (done.stdout.splitlines() or ["unknown"])[0]
    return first.removeprefix("Version:").strip()


def build_compiled_policy(*, opa: Path, policy_dir: Path, output_dir: Path) -> CompiledPolicy:
    """Compile the policy modules with ``opa build -t wasm`` and write the artefact.

    The modules are passed by their paths relative to ``policy_dir`` (OPA records them
    in the module for error locations), so the output does not depend on where the
    repository is checked out.
    """
    bundle: PolicyBundle = load_bundle(policy_dir=policy_dir)
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "bundle.tar.gz"
        arguments = [str(opa), "build", "--target", "wasm", "--output", str(target)]
        for gate in GATES:
            arguments += ["--entrypoint", entrypoint(gate)]
        arguments += [path for path, _ in bundle.modules]
        done = subprocess.run(arguments, cwd=policy_dir, capture_output=True, text=True)
        if done.returncode != 0:
            raise CompiledPolicyError(
                f"opa build failed: {(done.stdout + done.stderr).strip()[:2000]}"
            )
        with tarfile.open(target) as archive:
            member = next(
                (item for item in archive.getmembers() if item.name.lstrip("/") == MODULE_FILE),
                None,
            )
            extracted = archive.extractfile(member) if member is not None else None
            if extracted is None:
                raise CompiledPolicyError("opa build wrote no policy.wasm")
            wasm = extracted.read()
    compiled = CompiledPolicy(wasm=wasm, source_hash=bundle.hash, opa_version=_opa_version(opa))
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / MODULE_FILE).write_bytes(wasm)
    manifest = {
        "source_hash": compiled.source_hash,
        "wasm_sha256": hashlib.sha256(wasm).hexdigest(),
        "opa_version": compiled.opa_version,
        "entrypoints": [entrypoint(gate) for gate in GATES],
        "rebuild": REBUILD_COMMAND,
    }
    (output_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return compiled


def _read_manifest(path: Path) -> dict[str, object]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CompiledPolicyError(
            f"no compiled policy at {path.parent}: run `{REBUILD_COMMAND}`"
        ) from None
    except (OSError, ValueError) as error:
        raise CompiledPolicyError(f"cannot read {path}: {error}") from error
    if not isinstance(manifest, dict):
        raise CompiledPolicyError(f"{path} is not a JSON object")
    return manifest


def load_compiled_policy(*, policy_dir: Path, compiled_dir: Path) -> CompiledPolicy:
    """The compiled policy for ``policy_dir``, refused when missing, altered or stale."""
    manifest = _read_manifest(compiled_dir / MANIFEST_FILE)
    try:
        wasm = (compiled_dir / MODULE_FILE).read_bytes()
    except OSError as error:
        raise CompiledPolicyError(
            f"no compiled policy module at {compiled_dir / MODULE_FILE}: run `{REBUILD_COMMAND}`"
        ) from error
    if hashlib.sha256(wasm).hexdigest() != manifest.get("wasm_sha256"):
        raise CompiledPolicyError(
            f"{compiled_dir / MODULE_FILE} does not match its manifest: run `{REBUILD_COMMAND}`"
        )
    source_hash = load_bundle(policy_dir=policy_dir).hash
    if manifest.get("source_hash") != source_hash:
        raise CompiledPolicyError(
            f"the compiled policy in {compiled_dir} is stale: it was built from policies "
            f"{str(manifest.get('source_hash'))[:12]}, {policy_dir} now hashes to "
            f"{source_hash[:12]}; run `{REBUILD_COMMAND}`"
        )
    return CompiledPolicy(
        wasm=wasm, source_hash=source_hash, opa_version=str(manifest.get("opa_version"))
    )
