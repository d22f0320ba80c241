"""``gatehouse ledger ...``: verify, export, checkpoint, and prove.

``verify`` exits 0 when the chain holds (and still extends ``--checkpoint`` /
``--head``), 1 naming the first break otherwise. ``checkpoint`` signs and stores the
head; ``export-checkpoint`` writes a stored one as a file. ``prove-*`` need the
database; ``check-*`` need only the files, so an auditor runs them anywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
from flask import current_app

from app.cli.base import EXISTING_FILE, OUTPUT_FILE, shell_actor, trust_option, with_app_context
from app.db import unit_of_work
from app.ledger.chain import ChainPosition, export_jsonl, verify_chain
from app.ledger.checkpoints import (
    CheckpointFile,
    create_checkpoint,
    latest_checkpoint,
    verify_against_checkpoint,
)
from app.ledger.progress import verify_fully
from app.ledger.proofs import check_consistency, check_inclusion, consistency_proof, inclusion_proof
from app.models.ledger import LedgerCheckpoint

__all__ = ["cli_group"]

_HEAD = re.compile(r"^(\d+):([0-9a-f]{64})$")

_trust_option = trust_option(
    "PEM/DER certificate of a trusted root for checkpoint signatures (repeatable)."
)
_out = click.option("--out", "output", required=True, type=OUTPUT_FILE)
_checkpoint_option = click.option(
    "--checkpoint", "checkpoint_path", required=True, type=EXISTING_FILE
)


@click.group(name="ledger")
def cli_group() -> None:
    """The tamper-evident ledger."""


def _checkpoint(path: Path) -> CheckpointFile:
    return CheckpointFile.from_json(path.read_text(encoding="utf-8"))


def _parse_head(value: str | None) -> ChainPosition | None:
    if value is None:
        return None
    match = _HEAD.match(value.strip().lower())
    if match is None:
        raise click.BadParameter("give the head as SEQ:HASH (64 hex digits)", param_hint="--head")
    return ChainPosition(int(match.group(1)), match.group(2))


@cli_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_path",
    type=EXISTING_FILE,
    help="A checkpoint file the ledger must still extend.",
)
@click.option("--head", "head_text", metavar="SEQ:HASH", help="A head the ledger must still reach.")
@_trust_option
@with_app_context
def verify_command(
    checkpoint_path: Path | None, head_text: str | None, trust_roots: list[Any]
) -> None:
    """Walk the hash chain; exit 1 naming the first break (or how a checkpoint fails)."""
    known_head = _parse_head(head_text)
    with unit_of_work() as session:
        if checkpoint_path is not None:
            check = verify_against_checkpoint(
                session=session,
                checkpoint=_checkpoint(checkpoint_path),
                trust_roots=trust_roots,
            )
            if not check.holds:
                raise click.ClickException(
                    f"the ledger no longer extends checkpoint {check.checkpoint.head}: "
                    + "; ".join(check.problems)
                )
            click.echo(
                f"ledger extends checkpoint {check.checkpoint.head} "
                f"(Merkle root {check.merkle_root}, signed by "
                f"{check.signature.signer_subject}, {check.signature.trust.value}"
                + (
                    f", timestamped {check.signature.timestamp.isoformat()}"
                    if check.signature.timestamp
                    else ""
                )
                + f"); intact: {check.chain.events_checked} events, head {check.chain.head_hash}"
            )
            if known_head is None:
                return
        if known_head is not None:
            outcome = verify_chain(session=session, known_head=known_head)
        else:
            _state, outcome = verify_fully(session=session)
    if outcome.broken is not None:
        raise click.ClickException(str(outcome.broken))
    click.echo(f"ledger intact: {outcome.events_checked} events, head {outcome.head_hash}")


@cli_group.command("reconcile")
@with_app_context
def reconcile_command() -> None:
    """Check the rows the gates read against the ledger events that recorded them; exit 1
    naming every row that differs (table, id, fields; never a value)."""
    from app.ledger.reconcile import reconcile_rows

    with unit_of_work() as session:
        checked, found = reconcile_rows(session=session)
    for discrepancy in found:
        click.echo(str(discrepancy))
    if found:
        raise click.ClickException(
            f"{len(found)} of {checked} rows are not what the ledger recorded"
        )
    click.echo(f"{checked} rows are what the ledger recorded")


@cli_group.command("export")
@click.argument("output", type=OUTPUT_FILE)
@with_app_context
def export_command(output: Path) -> None:
    """Export every event as JSON Lines for auditors."""
    with unit_of_work() as session, output.open("w", encoding="utf-8") as out:
        count = export_jsonl(session=session, out=out)
    click.echo(f"exported {count} events to {output}")


@cli_group.command("checkpoint")
@click.option(
    "--out",
    "output",
    type=OUTPUT_FILE,
    help="Also write the signed checkpoint to this file (to hand to an auditor).",
)
@with_app_context
def checkpoint_command(output: Path | None) -> None:
    """Verify the chain, sign its head (timestamped with GATEHOUSE_TSA_URL), store it."""
    with unit_of_work() as session:
        row = create_checkpoint(
            session=session, settings=current_app.config["GATEHOUSE"], actor=shell_actor()
        )
        document = CheckpointFile.from_row(row).to_json()
    if output is not None:
        output.write_text(document + "\n", encoding="utf-8")
    click.echo(
        f"checkpoint {row.id}: event {row.seq}, head {row.head_hash}, Merkle root "
        f"{row.merkle_root}{', timestamped' if row.timestamped else ''}"
        + (f"; written to {output}" if output else "")
    )


@cli_group.command("export-checkpoint")
@click.argument("checkpoint_id", required=False, type=int)
@_out
@with_app_context
def export_checkpoint_command(checkpoint_id: int | None, output: Path) -> None:
    """Write stored checkpoint CHECKPOINT_ID (default: the latest) as a file."""
    with unit_of_work() as session:
        row = (
            latest_checkpoint(session=session)
            if checkpoint_id is None
            else session.get(LedgerCheckpoint, checkpoint_id)
        )
        if row is None:
            raise click.ClickException(
                "no checkpoint yet: run 'gatehouse ledger checkpoint'"
                if checkpoint_id is None
                else f"no checkpoint {checkpoint_id}"
            )
        output.write_text(CheckpointFile.from_row(row).to_json() + "\n", encoding="utf-8")
    click.echo(f"checkpoint {row.id} (event {row.seq}) written to {output}")


@cli_group.command("prove-inclusion")
@click.argument("seq", type=click.IntRange(min=1))
@_checkpoint_option
@_out
@with_app_context
def prove_inclusion_command(seq: int, checkpoint_path: Path, output: Path) -> None:
    """Write a proof that event SEQ is in the tree the checkpoint signed."""
    with unit_of_work() as session:
        proof = inclusion_proof(session=session, seq=seq, checkpoint=_checkpoint(checkpoint_path))
    output.write_text(json.dumps(proof, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    click.echo(
        f"inclusion proof of event {seq} ({len(proof['audit_path'])} hashes) written to {output}"
    )


@cli_group.command("check-inclusion")
@click.argument("proof_path", type=EXISTING_FILE)
@_checkpoint_option
@_trust_option
def check_inclusion_command(
    proof_path: Path, checkpoint_path: Path, trust_roots: list[Any]
) -> None:
    """Check an inclusion proof against a checkpoint file, offline (no database)."""
    checkpoint = _checkpoint(checkpoint_path)
    check = check_inclusion(
        proof_path.read_text(encoding="utf-8"), checkpoint, trust_roots=trust_roots
    )
    if not check.holds:
        raise click.ClickException("inclusion NOT proven: " + "; ".join(check.problems))
    click.echo(
        f"inclusion proven: the event is in the ledger as of checkpoint {checkpoint.head} "
        f"(signer {check.signatures[0].trust.value})"
    )


@cli_group.command("prove-consistency")
@click.argument("old_path", type=EXISTING_FILE)
@click.argument("new_path", type=EXISTING_FILE)
@_out
@with_app_context
def prove_consistency_command(old_path: Path, new_path: Path, output: Path) -> None:
    """Write a proof that checkpoint OLD's events are unchanged in checkpoint NEW."""
    with unit_of_work() as session:
        proof = consistency_proof(
            session=session, old=_checkpoint(old_path), new=_checkpoint(new_path)
        )
    output.write_text(json.dumps(proof, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    click.echo(f"consistency proof ({len(proof['proof'])} hashes) written to {output}")


@cli_group.command("check-consistency")
@click.argument("old_path", type=EXISTING_FILE)
@click.argument("new_path", type=EXISTING_FILE)
@click.argument("proof_path", type=EXISTING_FILE)
@_trust_option
def check_consistency_command(
    old_path: Path, new_path: Path, proof_path: Path, trust_roots: list[Any]
) -> None:
    """Check a consistency proof between two checkpoint files, offline (no database)."""
    old, new = _checkpoint(old_path), _checkpoint(new_path)
    check = check_consistency(
        proof_path.read_text(encoding="utf-8"), old, new, trust_roots=trust_roots
    )
    if not check.holds:
        raise click.ClickException("consistency NOT proven: " + "; ".join(check.problems))
    click.echo(f"consistency proven: {new.head} extends {old.head} unchanged")
