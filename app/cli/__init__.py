"""The ``gatehouse`` command: operators' and pipelines' door.

Every top-level command is registered once, in :data:`AREAS`, by the module that
defines it (one module per area under ``app/cli/``). A module is imported only when its
command runs or its help is shown, so ``gatehouse --help`` and the pipeline's commands
start without loading Flask, the database layer or the audit libraries. Every command
prints one readable line on failure and exits non-zero; Gatehouse errors never surface
as tracebacks (see :class:`app.cli.base.GatehouseGroup`).
"""

from __future__ import annotations

import click

from app.cli.base import Area, GatehouseGroup

__all__ = ["AREAS", "cli", "main"]

#: Every top-level command: name, where it lives, and its one-line help.
AREAS: tuple[Area, ...] = (
    Area(
        "approvals", "app.cli.approvals:cli_group", "Approval requests: housekeeping for operators."
    ),
    Area(
        "attest",
        "app.cli.attestations:cli_group",
        "Governance facts attested by the role that owns them.",
    ),
    Area(
        "audit",
        "app.cli.audits:cli_group",
        "Fairness (fairlearn definitions) and explainability (SHAP) audits of decisions.",
    ),
    Area(
        "backup",
        "app.cli.backup:backup_command",
        "Write the database, the stored files and a SHA-256 manifest into DESTINATION.",
    ),
    Area(
        "dataset",
        "app.cli.datasets:cli_group",
        "Validate, convert and scan fine-tuning dataset files.",
    ),
    Area("db", "app.cli.db:cli_group", "Schema migrations."),
    Area(
        "demo",
        "app.cli.demo:demo",
        "Migrate a SQLite database, seed a realistic registry, print logins, serve on 127.0.0.1.",
    ),
    Area(
        "evaluation",
        "app.cli.evaluations:cli_group",
        "Evaluation and red-team evidence: import tools' results, list findings.",
    ),
    Area(
        "evidence",
        "app.cli.evidence:cli_group",
        "Evidence bundles for auditors: export a period, verify a bundle offline.",
    ),
    Area("gate", "app.cli.gate:cli_group", "Ask the policy gates."),
    Area("ledger", "app.cli.ledger:cli_group", "The tamper-evident ledger."),
    Area(
        "policy",
        "app.cli.policy:cli_group",
        "Policy as code: test the Rego policies, list the controls.",
    ),
    Area(
        "promote",
        "app.cli.pipeline:promote_command",
        "Promote MODEL_VERSION (id or name@version) to production through the promotion gate.",
    ),
    Area("report", "app.cli.reports:cli_group", "Signed PDF reports."),
    Area(
        "restore",
        "app.cli.backup:restore_command",
        "Restore SOURCE into the configured (empty) database and storage, then verify.",
    ),
    Area("run", "app.cli.pipeline:run_group", "Fine-tune runs, for pipelines."),
    Area(
        "scheduler",
        "app.cli.scheduler:cli_group",
        "Run the job scheduler (one leader across processes; the others wait).",
    ),
    Area(
        "serve",
        "app.cli.server:serve",
        "Serve the portal and API (production: run under a WSGI server instead).",
    ),
    Area(
        "storage",
        "app.cli.storage:cli_group",
        "Stored files: sweep leftovers of uploads, reports and model artefacts.",
    ),
    Area("token", "app.cli.accounts:token_group", "API tokens for pipelines."),
    Area("user", "app.cli.accounts:user_group", "Portal and pipeline accounts."),
)


@click.group(cls=GatehouseGroup, areas=AREAS)
def cli() -> None:
    """Gatehouse: governance and compliance control plane for LLM fine-tuning."""


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="gatehouse")
