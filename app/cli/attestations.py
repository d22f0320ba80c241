"""``gatehouse attest``: record and list governance facts from the command line.

``record`` and ``list`` are HTTP clients of a running Gatehouse, like the pipeline
commands (``GATEHOUSE_URL``, the attester's own token in ``GATEHOUSE_TOKEN``): the
attester is the token's owner, never a name typed on the command line, so the owning
role and the independence from the subject are checked for the person who attests. A
refusal is one line on stderr and exit status 1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from app.attestations.facts import FACTS, SUBJECT_TYPES, typed_value

_SUBJECT = click.Choice([subject.value for subject in SUBJECT_TYPES])


@click.group("attest")
def cli_group() -> None:
    """Governance facts attested by the role that owns them."""


@cli_group.command("facts")
def facts_command() -> None:
    """Every fact: what it is about and which role owns it."""
    for name, fact in FACTS.items():
        click.echo(f"{name:<22} {fact.subject_type:<16} {fact.owner:<19} {fact.description}")


@cli_group.command("record")
@click.argument("subject_type", type=_SUBJECT)
@click.argument("subject_id", type=int)
@click.argument("fact")
@click.argument("value")
@click.option("--evidence", "evidence_ref", required=True, help="Where the evidence is.")
@click.option("--evidence-sha256", default=None, help="SHA-256 of the evidence file.")
@click.option("--justification", required=True, help="Why the fact holds.")
@click.option("--expires", "expires_at", type=click.DateTime(), default=None, help="Expiry (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print one final JSON document.")
def record_command(
    subject_type: str,
    subject_id: int,
    fact: str,
    value: str,
    evidence_ref: str,
    evidence_sha256: str | None,
    justification: str,
    expires_at: datetime | None,
    as_json: bool,
) -> None:
    """Attest FACT of SUBJECT_TYPE SUBJECT_ID as VALUE (JSON or text), as the token's owner.

    Exit 0 recorded, 1 refused (not the fact's owning role, not independent of the
    subject, a malformed value), 3 Gatehouse unreachable or the token refused.
    """
    from app.cli.pipeline import call_once

    body = {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "fact": fact,
        "value": typed_value(value),
        "evidence_ref": evidence_ref,
        "evidence_sha256": evidence_sha256,
        "justification": justification,
        # A time without a zone is taken as UTC, as the service does.
        "expires_at": expires_at.replace(tzinfo=UTC).isoformat() if expires_at else None,
    }
    call_once(as_json, "/attestations", body, refused="attestation refused", done=_recorded)


def _recorded(answer: dict[str, Any]) -> str:
    lines = [
        f"attestation {answer['id']}: {answer['fact']} of {answer['subject_type']} "
        f"{answer['subject_id']} = {json.dumps(answer['value'])} by {answer['attested_by']} "
        f"({answer['role']})"
    ]
    lines += [
        f"voided approval request {request_id}: its evidence changed"
        for request_id in answer["voided_requests"]
    ]
    return "\n".join(lines)


@cli_group.command("list")
@click.argument("subject_type", type=_SUBJECT)
@click.argument("subject_id", type=int)
def list_command(subject_type: str, subject_id: int) -> None:
    """A subject's attestations, newest first; those the gates no longer read (expired or
    superseded) are marked."""
    from app.cli.pipeline import read_once

    read_once("/attestations", {"subject_type": subject_type, "subject_id": subject_id}, _listing)


def _listing(answer: dict[str, Any]) -> str:
    lines = []
    for item in answer["items"]:
        attested = datetime.fromisoformat(item["attested_at"])
        lines.append(
            f"{item['id']:>5} {item['fact']:<22} {json.dumps(item['value']):<30} "
            f"{item['attested_by']} ({item['role']}) {attested:%Y-%m-%d %H:%M}"
            + ("" if item["in_force"] else "  (not in force: expired or superseded)")
        )
    return "\n".join(lines) or "no attestations"
