"""Evidence bundles from the demo registry: export, verify offline, and every tampering named.

Roles are the seed's people: olivia (compliance officer), marcus (model risk), eli (ML
engineer), audrey (auditor), ada (admin).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zipfile
from pathlib import Path

import pytest
from sqlmodel import col, select

from app.cli.base import shell_actor
from app.cli.evidence import cli_group
from app.db import session_scope
from app.evidence.bundle import MANIFEST, MANIFEST_SIGNATURE
from app.evidence.bundle_verify import BundleVerification, verify_bundle
from app.evidence.errors import BundleFileError
from app.ledger.signatures import sign_statement
from app.models.evidence import Report
from app.models.ledger import LedgerEvent
from app.reports.service import signing_identity
from tests.reports_registry.conftest import PERIOD, World

PERIOD_ARGS = ["--from", PERIOD.start.isoformat(), "--to", PERIOD.end.isoformat()]


@pytest.fixture(scope="package")
def bundle(world: World, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The demo period's bundle, exported once through the CLI as the auditor."""
    output = tmp_path_factory.mktemp("bundle") / "bundle.zip"
    result = world.app.test_cli_runner().invoke(
        cli_group, ["export", *PERIOD_ARGS, "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    return output.read_bytes()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _failed(result: BundleVerification) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for check in result.failures:
        found.setdefault(check.subject, []).append(check.detail)
    return found


def test_the_demo_period_bundle_verifies_offline_with_one_command(
    world: World, bundle: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    # A runner without the application: verification needs no database.
    from click.testing import CliRunner

    result = CliRunner().invoke(cli_group, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("INTACT"), result.output
    verification = verify_bundle(bundle)
    assert verification.intact, _failed(verification)
    members = _members(bundle)
    manifest = json.loads(members[MANIFEST])
    with session_scope(world.engine) as session:
        issued = session.exec(
            select(Report).where(
                col(Report.created_at) >= PERIOD.starts_at,
                col(Report.created_at) < PERIOD.ends_before,
            )
        ).all()
    # Every report issued in the period is in the bundle, as stored (same digest).
    assert sorted(entry["pdf_sha256"] for entry in manifest["reports"]) == sorted(
        report.pdf_sha256 for report in issued
    )
    assert len(issued) >= len(world.reports)
    areas = {check.area for check in verification.checks}
    assert areas == {"manifest", "file", "report", "ledger", "checkpoint", "policy", "oscal"}
    oscal_paths = manifest["oscal"]["documents"]
    assert any(path.startswith("oscal/period-") for path in oscal_paths)
    assert any(path.startswith("oscal/promotion-decision-") for path in oscal_paths)
    assert "README.md" in members and b"gatehouse evidence verify" in members["README.md"]


def test_the_export_is_ledgered_with_the_actor_and_the_manifest(
    world: World, bundle: bytes
) -> None:
    manifest = _members(bundle)[MANIFEST]
    with session_scope(world.engine) as session:
        events = session.exec(
            select(LedgerEvent).where(LedgerEvent.action == "evidence.exported")
        ).all()
    matching = [
        event
        for event in events
        if event.payload["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    ]
    assert len(matching) == 1
    event = matching[0]
    assert event.actor == shell_actor()
    assert event.subject_type == "period"
    assert event.subject_id == f"{PERIOD.start.isoformat()}..{PERIOD.end.isoformat()}"
    assert event.occurred_at is not None
    # The checkpoint the export signed is the bundle's own.
    assert json.loads(manifest)["ledger"]["checkpoint"].endswith(
        f"checkpoint-{event.payload['checkpoint_id']}.json"
    )


def test_a_changed_report_in_the_zip_is_named(bundle: bytes) -> None:
    members = _members(bundle)
    target = next(name for name in members if name.startswith("reports/"))
    altered = bytearray(members[target])
    altered[len(altered) // 3] ^= 0x01
    members[target] = bytes(altered)
    failed = _failed(verify_bundle(_zip(members)))
    assert set(failed) == {target}
    assert any("SHA-256" in detail for detail in failed[target])


@pytest.mark.parametrize("name", ["policy/data.json", "controls/catalogue.json"])
def test_a_changed_file_is_named(bundle: bytes, name: str) -> None:
    members = _members(bundle)
    members[name] = members[name].replace(b"0.8", b"0.7", 1) + b" "
    failed = _failed(verify_bundle(_zip(members)))
    assert name in failed
    assert "altered" in failed[name][0]


def test_an_added_or_missing_file_is_named(bundle: bytes) -> None:
    members = _members(bundle)
    removed = next(name for name in members if name.startswith("oscal/promotion-decision-"))
    del members[removed]
    members["reports/extra.pdf"] = b"%PDF-1.7"
    failed = _failed(verify_bundle(_zip(members)))
    assert "listed in the manifest but missing" in failed[removed][0]
    assert "not listed" in failed["reports/extra.pdf"][0]


def _resigned(world: World, members: dict[str, bytes]) -> dict[str, bytes]:
    """The members with the manifest's digests recomputed and re-signed (an insider with
    the signing key), so only the deeper checks can catch the change."""
    manifest = json.loads(members[MANIFEST])
    for entry in manifest["files"]:
        data = members[entry["path"]]
        entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    body = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    members[MANIFEST] = body
    members[MANIFEST_SIGNATURE] = sign_statement(
        body, identity=signing_identity(world.settings)
    ).encode()
    return members


def test_an_edited_ledger_event_is_named_even_with_a_resigned_manifest(
    world: World, bundle: bytes
) -> None:
    members = _members(bundle)
    lines = members["ledger/events.jsonl"].decode().splitlines()
    event = json.loads(lines[4])
    event["actor"] = "mallory"
    lines[4] = json.dumps(event, sort_keys=True)
    members["ledger/events.jsonl"] = ("\n".join(lines) + "\n").encode()
    failed = _failed(verify_bundle(_zip(_resigned(world, members))))
    assert failed["ledger/events.jsonl"] == [
        "event 5: its fields do not hash to its recorded hash (edited)"
    ]
    # The checkpoints no longer match events the chain cannot reach.
    assert any(name.startswith("ledger/checkpoints/") for name in failed)


def test_a_changed_policy_or_invalid_oscal_is_named_even_with_a_resigned_manifest(
    world: World, bundle: bytes
) -> None:
    members = _members(bundle)
    rego = next(name for name in members if name.endswith(".rego"))
    members[rego] += b"\n# edited\n"
    oscal_path = next(name for name in members if name.startswith("oscal/period-"))
    document = json.loads(members[oscal_path])
    finding = document["assessment-results"]["results"][0]["findings"][0]
    finding["target"]["status"]["state"] = "mostly"
    members[oscal_path] = json.dumps(document).encode()
    failed = _failed(verify_bundle(_zip(_resigned(world, members))))
    assert set(failed) == {"policy/", oscal_path}
    assert "not the manifest's" in failed["policy/"][0]
    assert '"mostly" is not one of' in failed[oscal_path][0]


def test_an_unknown_control_in_oscal_is_named(world: World, bundle: bytes) -> None:
    members = _members(bundle)
    oscal_path = next(name for name in members if name.startswith("oscal/promotion-decision-"))
    document = json.loads(members[oscal_path])
    document["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "NOPE-1"
    members[oscal_path] = json.dumps(document).encode()
    failed = _failed(verify_bundle(_zip(_resigned(world, members))))
    assert failed == {oscal_path: ["controls not in the catalogue: NOPE-1"]}


def test_a_manifest_changed_without_the_key_is_named(bundle: bytes) -> None:
    members = _members(bundle)
    creator = f'"created_by": "{shell_actor()}"'.encode()
    assert creator in members[MANIFEST]
    members[MANIFEST] = members[MANIFEST].replace(creator, b'"created_by": "ada"')
    failed = _failed(verify_bundle(_zip(members)))
    assert list(failed) == [MANIFEST_SIGNATURE]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/cron.d/evil", "an absolute name"),
        ("../../outside.txt", "'..'"),
        ("reports/../../outside.txt", "'..'"),
        ("reports\\..\\evil.pdf", "backslash"),
        ("C:/windows/evil.dll", "an absolute name"),
    ],
)
def test_hostile_names_are_refused(bundle: bytes, tmp_path: Path, name: str, reason: str) -> None:
    members = _members(bundle)
    members[name] = b"payload"
    hostile = _zip(members)
    with pytest.raises(BundleFileError) as refused:
        verify_bundle(hostile)
    assert repr(name) in str(refused.value) and reason in str(refused.value)
    path = tmp_path / "hostile.zip"
    path.write_bytes(hostile)
    from click.testing import CliRunner

    result = CliRunner().invoke(cli_group, ["verify", str(path)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "refused" in result.output
    assert not (tmp_path.parent / "outside.txt").exists()


def test_a_zip_bomb_and_a_non_zip_are_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ledger/events.jsonl", b"\0" * (16 * 1024 * 1024))
    with pytest.raises(BundleFileError, match="zip bomb"):
        verify_bundle(out.getvalue())
    with pytest.raises(BundleFileError, match="not a zip file"):
        verify_bundle(b"%PDF-1.7 not a zip")


@pytest.mark.parametrize(
    ("local_field", "central_field", "value", "reason"),
    [
        # The general-purpose flags with the "encrypted" bit set.
        (6, 8, 0x1, "encryption"),
        # AES's compression method (99), which the standard library cannot inflate.
        (8, 10, 99, "a compression method Gatehouse does not read (99)"),
    ],
)
def test_an_encrypted_or_unreadable_member_is_refused_by_name(
    bundle: bytes, tmp_path: Path, local_field: int, central_field: int, value: int, reason: str
) -> None:
    """The first member's headers (local and central) say so. Before, the library's own
    error (a RuntimeError, a NotImplementedError) escaped and the CLI printed a traceback."""
    data = bytearray(bundle)
    struct.pack_into("<H", data, data.find(b"PK\x03\x04") + local_field, value)
    struct.pack_into("<H", data, data.find(b"PK\x01\x02") + central_field, value)
    with pytest.raises(BundleFileError, match=re.escape(reason)):
        verify_bundle(bytes(data))
    path = tmp_path / "unreadable.zip"
    path.write_bytes(data)
    from click.testing import CliRunner

    result = CliRunner().invoke(cli_group, ["verify", str(path)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "refused: the bundle member" in result.output and reason in result.output


def test_export_refuses_a_backwards_period_and_writes_nothing(world: World, tmp_path: Path) -> None:
    output = tmp_path / "bundle.zip"
    result = world.app.test_cli_runner().invoke(
        cli_group, ["export", "--from", "2026-12-31", "--to", "2026-01-01", "-o", str(output)]
    )
    assert result.exit_code == 1
    assert "before it starts" in result.output
    assert list(tmp_path.iterdir()) == []


def test_trusting_the_published_certificate_makes_every_signer_trusted(
    world: World, bundle: bytes, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    identity = signing_identity(world.settings)
    path, certificate = tmp_path / "bundle.zip", tmp_path / "organisation.pem"
    path.write_bytes(bundle)
    certificate.write_bytes(identity.certificate.dump())
    untrusted = CliRunner().invoke(cli_group, ["verify", str(path), "--require-trust"])
    assert untrusted.exit_code == 1 and untrusted.output.startswith("INTACT")
    trusted = CliRunner().invoke(
        cli_group, ["verify", str(path), "--trust", str(certificate), "--require-trust"]
    )
    assert trusted.exit_code == 0, trusted.output
    assert trusted.output.startswith("VERIFIED")
    assert identity.fingerprint_sha256 in trusted.output
    stranger = verify_bundle(bundle, trust_roots=[])
    assert not stranger.trusted and stranger.signers == {identity.fingerprint_sha256}
