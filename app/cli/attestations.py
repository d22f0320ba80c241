"""``gatehouse attest``: record and list governance facts from the command line.

These commands work on the database directly, so they are for operators who hold its
credentials; ``--actor`` names the person attesting, and the same checks as the API
apply (owning role, independence from the subject). People attest through the portal
or ``POST /api/v1/attestations`` with their own token. A refusal is one line on stderr
and exit status 1.
"""

from __future__ import annotations

import json
from datetime import datetime

import click

from app.attestations.facts import FACTS, SUBJECT_TYPES, typed_value
from app.cli.base import with_app_context

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
@click.option("--actor", required=True, help="The person attesting (must own the fact).")
@click.option("--evidence", "evidence_ref", required=True, help="Where the evidence is.")
@click.option("--evidence-sha256", default=None, help="SHA-256 of the evidence file.")
@click.option("--justification", required=True, help="Why the fact holds.")
@click.option("--expires", "expires_at", type=click.DateTime(), default=None, help="Expiry (UTC).")
@with_app_context
def record_command(
    subject_type: str,
    subject_id: int,
    fact: str,
    value: str,
    actor: str,
    evidence_ref: str,
    evidence_sha256: str | None,
    justification: str,
    expires_at: datetime | None,
) -> None:
    """Attest FACT of SUBJECT_TYPE SUBJECT_ID as VALUE (JSON or text)."""
    from app.attestations.service import attest
    from app.db import unit_of_work

    with unit_of_work() as session:
        recorded = attest(
            session=session,
            subject_type=subject_type,
            subject_id=subject_id,
            fact=fact,
            value=typed_value(value),
            evidence_ref=evidence_ref,
            evidence_sha256=evidence_sha256,
            justification=justification,
            expires_at=expires_at,
            actor=actor,
        )
        attestation = recorded.attestation
        click.echo(
            f"attestation {attestation.id}: {fact} of {subject_type} {subject_id} = "
            f"{json.dumps(attestation.value)} by {actor} ({attestation.role})"
        )
        for request_id in recorded.voided_requests:
            click.echo(f"voided approval request {request_id}: its evidence changed")


@cli_group.command("list")
@click.argument("subject_type", type=_SUBJECT)
@click.argument("subject_id", type=int)
@with_app_context
def list_command(subject_type: str, subject_id: int) -> None:
    """A subject's attestations, newest first; expired ones are marked."""
    from app.attestations.current import is_current
    from app.attestations.service import attestations_of
    from app.db import unit_of_work
    from app.models.base import utc_now

    now = utc_now()
    with unit_of_work() as session:
        for item in attestations_of(
            session=session, subject_type=subject_type, subject_id=subject_id
        ):
            state = "" if is_current(item, now) else "  (expired)"
            click.echo(
                f"{item.id:>5} {item.fact:<22} {json.dumps(item.value):<30} "
                f"{item.attested_by} ({item.role}) {item.attested_at:%Y-%m-%d %H:%M}{state}"
            )
