"""``gatehouse gate check``: ask a policy gate about a subject; the exit status is the answer."""

from __future__ import annotations

import os
import sys

import click

from app.cli.base import EXIT_ENGINE_FAILURE, with_app_context
from app.models.vocabulary import DecisionOutcome, GateName

__all__ = ["EXIT_ALLOW", "EXIT_DENY", "EXIT_ENGINE_FAILURE", "cli_group"]


@click.group("gate")
def cli_group() -> None:
    """Ask the policy gates."""


#: Exit statuses of ``gate check``: allow, deny (3, could not ask, is EXIT_ENGINE_FAILURE).
EXIT_ALLOW, EXIT_DENY = 0, 1


@cli_group.command("check")
@click.argument(
    "gate_name",
    metavar="GATE",
    type=click.Choice([gate.value for gate in GateName]),
)
@click.option(
    "--subject",
    "subject_id",
    required=True,
    type=int,
    help="Run, deployment or dataset version id.",
)
@click.option(
    "--run", "run_id", type=int, default=None, help="dataset_use only: the run it would join."
)
@click.option("--json", "as_json", is_flag=True, help="Print the stored decision as JSON.")
@with_app_context
def gate_check(gate_name: str, subject_id: int, run_id: int | None, as_json: bool) -> None:
    """Ask GATE about a subject: exit 0 allow, 1 deny, 3 could not ask (indeterminate)."""
    import json

    from app.db import unit_of_work
    from app.gates.engine_binding import current_policy_engine
    from app.gates.service import evaluate_gate

    with unit_of_work() as session:
        decision = evaluate_gate(
            session=session,
            engine=current_policy_engine(),
            gate=gate_name,
            subject_id=subject_id,
            run_id=run_id,
            actor=os.environ.get("USER", "cli"),
        )
        body = decision.model_dump(mode="json")
    undecided = decision.outcome is DecisionOutcome.INDETERMINATE
    if as_json:
        click.echo(json.dumps(body, indent=2, sort_keys=True))
    elif undecided:
        click.echo(
            f"could not ask: {gate_name} for {decision.subject_type} {subject_id} is "
            f"indeterminate, the policy engine gave no answer ({decision.error}); "
            f"decision {decision.id} denies, try again later",
            err=True,
        )
    else:
        verdict = "ALLOW" if decision.allow else "DENY"
        click.echo(
            f"{verdict} {gate_name} for {decision.subject_type} {subject_id} (decision {decision.id}, engine {decision.engine})"
        )
        for violation in decision.violations:
            click.echo(
                f"  [{violation['control']}] {violation['citation']}: {violation['message']}"
            )
        for requirement in decision.result.get("required_approvals", []):
            click.echo(f"  requires {requirement['count']} approval(s) from {requirement['role']}")
    if undecided:
        sys.exit(EXIT_ENGINE_FAILURE)
    sys.exit(EXIT_ALLOW if decision.allow else EXIT_DENY)
