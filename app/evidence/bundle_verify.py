"""Checking an evidence bundle offline: no database, no network, every failure named.

The checks, each reported with the file it is about:

* **manifest** — ``manifest.json`` is a bundle manifest and ``manifest.json.sig`` is a
  sound signature over it; every listed file is present with its SHA-256 and size, and
  nothing unlisted is present;
* **reports** — each PDF's signatures are intact and cover the file (``verify_pdf``), it is
  the file the manifest lists, and the ledger holds its ``report.generated`` event;
* **ledger** — the chain recomputed from the JSON lines holds from genesis to the head
  the manifest names; each checkpoint's signature is sound and its head and Merkle root
  are those of the events;
* **policy** — the bundle hash recomputed from the policy files is the manifest's;
* **OSCAL** — each document validates against the OSCAL assessment-results schema and
  names only controls of the bundled catalogue.

Trust is judged apart from soundness, as for reports: without trusted roots a self-signed
signer leaves the verdict "intact, signer not proven" (the fingerprints are shown).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as asn1_x509

from app.evidence.bundle import BUNDLE_FORMAT, MANIFEST, MANIFEST_SIGNATURE
from app.evidence.ledger_file import LedgerFileCheck, check_ledger_lines
from app.evidence.oscal_schema import schema_errors
from app.evidence.zip_reading import read_members
from app.ledger.checkpoints import CheckpointFile
from app.ledger.errors import CheckpointFileError
from app.ledger.signatures import StatementSignature, verify_statement
from app.policy.bundle import bundle_digest
from app.reports.verification import TrustStatus, verify_pdf

__all__ = ["BundleCheck", "BundleVerification", "verify_bundle"]


@dataclass(frozen=True)
class BundleCheck:
    """One check of one part of the bundle."""

    area: str
    """manifest, file, report, ledger, checkpoint, policy or oscal."""
    subject: str
    """The file (path inside the zip) the check is about."""
    ok: bool
    detail: str


@dataclass
class BundleVerification:
    """Every check made, and what the signers' trust came to."""

    checks: list[BundleCheck] = field(default_factory=list)
    trust: set[TrustStatus] = field(default_factory=set)
    signers: set[str] = field(default_factory=set)
    """SHA-256 fingerprints of every certificate that signed something in the bundle."""

    def add(self, area: str, subject: str, ok: bool, detail: str) -> None:
        """Record one check."""
        self.checks.append(BundleCheck(area, subject, ok, detail))

    def add_signature(self, area: str, subject: str, status: StatementSignature) -> None:
        """Record a detached signature's check, its signer and its trust."""
        self.trust.add(status.trust)
        if status.signer_fingerprint_sha256:
            self.signers.add(status.signer_fingerprint_sha256)
        self.add(
            area,
            subject,
            status.sound,
            f"signed by {status.signer_subject} ({status.trust.value})"
            if status.sound
            else "; ".join(status.problems),
        )

    @property
    def intact(self) -> bool:
        """Every check held (at least one was made)."""
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def trusted(self) -> bool:
        """Every signer chains to a trusted root."""
        return self.trust == {TrustStatus.TRUSTED}

    @property
    def failures(self) -> list[BundleCheck]:
        """The checks that did not hold."""
        return [check for check in self.checks if not check.ok]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``--json``."""
        return {
            "intact": self.intact,
            "trusted": self.trusted,
            "trust": sorted(status.value for status in self.trust),
            "signer_fingerprints_sha256": sorted(self.signers),
            "checks": [check.__dict__ for check in self.checks],
        }


def _manifest(members: dict[str, bytes], result: BundleVerification, roots: Sequence[Any]) -> Any:
    """The parsed manifest after its signature is checked; ``None`` when unusable."""
    data = members.get(MANIFEST)
    if data is None:
        result.add("manifest", MANIFEST, False, "the bundle has no manifest.json")
        return None
    try:
        manifest = json.loads(data)
    except ValueError as error:
        result.add("manifest", MANIFEST, False, f"manifest.json is not JSON: {error}")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        result.add("manifest", MANIFEST, False, f"manifest.json is not a {BUNDLE_FORMAT} manifest")
        return None
    signature = members.get(MANIFEST_SIGNATURE)
    if signature is None:
        result.add("manifest", MANIFEST_SIGNATURE, False, "the manifest is not signed")
        return manifest
    text = signature.decode("ascii", "replace").strip()
    result.add_signature(
        "manifest", MANIFEST_SIGNATURE, verify_statement(data, text, trust_roots=roots)
    )
    return manifest


def _files(members: dict[str, bytes], manifest: dict[str, Any], result: BundleVerification) -> None:
    """Every listed file present and unaltered; nothing present that is not listed."""
    listed = {entry.get("path"): entry for entry in manifest.get("files", [])}
    for path, entry in sorted(listed.items()):
        data = members.get(str(path))
        if data is None:
            result.add("file", str(path), False, "listed in the manifest but missing")
        elif hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            result.add("file", str(path), False, "altered: its SHA-256 is not the manifest's")
        else:
            result.add("file", str(path), True, f"SHA-256 matches ({len(data)} bytes)")
    for path in sorted(set(members) - set(listed) - {MANIFEST, MANIFEST_SIGNATURE}):
        result.add("file", path, False, "present but not listed in the manifest (added)")


def _reports(
    members: dict[str, bytes],
    manifest: dict[str, Any],
    ledger: LedgerFileCheck,
    result: BundleVerification,
    roots: Sequence[Any],
) -> None:
    """Each report's signatures, its listed digest and its ``report.generated`` event."""
    generated = {payload.get("pdf_sha256"): seq for seq, _, payload in ledger.payloads}
    for entry in manifest.get("reports", []):
        path = str(entry.get("path"))
        data = members.get(path)
        if data is None:
            continue  # named by the file check
        outcome = verify_pdf(data, trust_roots=roots, expected_sha256=entry.get("pdf_sha256"))
        result.trust.add(outcome.trust)
        result.signers.update(
            check.signer_fingerprint_sha256
            for check in outcome.signatures
            if check.signer_fingerprint_sha256
        )
        result.add(
            "report",
            path,
            outcome.intact,
            f"signature intact ({outcome.verdict.value})"
            if outcome.intact
            else "; ".join(outcome.problems),
        )
        seq = generated.get(entry.get("pdf_sha256"))
        result.add(
            "report",
            path,
            seq is not None,
            f"issued at ledger event {seq}"
            if seq is not None
            else "no report.generated event in the ledger records this file",
        )


def _checkpoints(
    members: dict[str, bytes], result: BundleVerification, roots: Sequence[Any]
) -> list[tuple[str, CheckpointFile]]:
    """Each checkpoint file parsed and its signature checked."""
    found = []
    for path in sorted(name for name in members if name.startswith("ledger/checkpoints/")):
        try:
            checkpoint = CheckpointFile.from_json(members[path].decode("utf-8", "replace"))
        except CheckpointFileError as error:
            result.add("checkpoint", path, False, str(error))
            continue
        result.add_signature(
            "checkpoint",
            path,
            verify_statement(
                checkpoint.statement_bytes, checkpoint.signature_cms, trust_roots=roots
            ),
        )
        found.append((path, checkpoint))
    return found


def _ledger(
    members: dict[str, bytes],
    manifest: dict[str, Any],
    checkpoints: list[tuple[str, CheckpointFile]],
    result: BundleVerification,
) -> LedgerFileCheck:
    """The chain from genesis, the manifest's head, and each checkpoint against the events."""
    ledger_entry = manifest.get("ledger") or {}
    path = str(ledger_entry.get("events", "ledger/events.jsonl"))
    text = members.get(path, b"").decode("utf-8", "replace")
    check = check_ledger_lines(
        text.splitlines(),
        sizes={checkpoint.head.seq for _, checkpoint in checkpoints},
        actions={"report.generated"},
    )
    head = ledger_entry.get("head") or {}
    expected = (head.get("seq"), head.get("hash"))
    if check.problem is not None:
        result.add("ledger", path, False, check.problem)
    elif check.head != expected:
        result.add(
            "ledger",
            path,
            False,
            f"the chain ends at {check.head}, not at the manifest's head {expected} (cut or extended)",
        )
    else:
        result.add("ledger", path, True, f"chain holds from genesis to event {check.events}")
    for checkpoint_path, checkpoint in checkpoints:
        seq = checkpoint.head.seq
        if check.heads.get(seq) != checkpoint.head.hash:
            result.add(
                "checkpoint",
                checkpoint_path,
                False,
                f"event {seq} in the ledger is not the checkpoint's head {checkpoint.head.hash}",
            )
        elif check.roots.get(seq) != checkpoint.merkle_root:
            result.add(
                "checkpoint",
                checkpoint_path,
                False,
                f"the Merkle root over events 1..{seq} is not the checkpoint's",
            )
        else:
            result.add("checkpoint", checkpoint_path, True, f"the ledger extends it (event {seq})")
    if not checkpoints:
        result.add("checkpoint", "ledger/checkpoints/", False, "the bundle holds no checkpoint")
    return check


def _policy(
    members: dict[str, bytes], manifest: dict[str, Any], result: BundleVerification
) -> None:
    """The policy bundle hash recomputed from the bundled files."""
    entry = manifest.get("policy") or {}
    modules = [str(path) for path in entry.get("modules", [])]
    needed = [*modules, str(entry.get("data"))] + (
        [entry["extra_data"]] if entry.get("extra_data") else []
    )
    missing = [path for path in needed if path not in members]
    if missing:
        result.add("policy", "policy/", False, f"policy files missing: {', '.join(missing)}")
        return
    digest = bundle_digest(
        [(path.removeprefix("policy/"), members[path]) for path in sorted(modules)],
        members[str(entry.get("data"))],
        members[entry["extra_data"]] if entry.get("extra_data") else None,
    )
    matches = digest == entry.get("sha256")
    result.add(
        "policy",
        "policy/",
        matches,
        f"bundle hash {digest} recomputed"
        if matches
        else f"the policy files hash to {digest}, not the manifest's {entry.get('sha256')}",
    )


def _oscal(members: dict[str, bytes], manifest: dict[str, Any], result: BundleVerification) -> None:
    """Each OSCAL document schema-valid, naming only catalogue controls."""
    try:
        catalogue = {
            str(control["id"]) for control in json.loads(members["controls/catalogue.json"])
        }
    except (KeyError, ValueError, TypeError) as error:
        result.add("oscal", "controls/catalogue.json", False, f"no readable catalogue: {error}")
        catalogue = set()
    for path in (manifest.get("oscal") or {}).get("documents", []):
        data = members.get(str(path))
        if data is None:
            continue  # named by the file check
        try:
            document = json.loads(data)
        except ValueError as error:
            result.add("oscal", str(path), False, f"not JSON: {error}")
            continue
        errors = schema_errors(document)
        result.add(
            "oscal",
            str(path),
            not errors,
            "valid OSCAL assessment results" if not errors else "; ".join(errors[:3]),
        )
        targets = (
            {
                finding["target"]["target-id"]
                for outcome in document.get("assessment-results", {}).get("results", [])
                for finding in outcome.get("findings", [])
            }
            if not errors
            else set()
        )
        unknown = sorted(targets - catalogue)
        if targets:
            result.add(
                "oscal",
                str(path),
                not unknown,
                f"{len(targets)} controls, all in the catalogue"
                if not unknown
                else f"controls not in the catalogue: {', '.join(unknown)}",
            )


def verify_bundle(
    data: bytes, *, trust_roots: Sequence[asn1_x509.Certificate] = ()
) -> BundleVerification:
    """Check the bundle zip ``data`` offline (see the module doc); an unsafe or unreadable
    zip raises :class:`BundleFileError` naming the member."""
    members = read_members(data)
    result = BundleVerification()
    manifest = _manifest(members, result, trust_roots)
    if manifest is None:
        return result
    _files(members, manifest, result)
    checkpoints = _checkpoints(members, result, trust_roots)
    ledger = _ledger(members, manifest, checkpoints, result)
    _reports(members, manifest, ledger, result, trust_roots)
    _policy(members, manifest, result)
    _oscal(members, manifest, result)
    return result
