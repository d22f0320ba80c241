"""``gatehouse approvals ...``: approval housekeeping for operators (run from cron or the scheduler).

It works on the database directly, like the other operator commands; the release
pipeline's commands (``promote``, ``run``) are HTTP clients in :mod:`app.cli.pipeline`.
"""

from __future__ import annotations

import click

from app.cli.base import with_app_context

__all__ = ["cli_group"]


@click.group("approvals")
def cli_group() -> None:
    """Approval requests: housekeeping for operators."""


@cli_group.command("expire")
@click.option(
    "--wait-seconds",
    default=60.0,
    show_default=True,
    help="How long to wait for the webhook deliveries this run starts.",
)
@with_app_context
def expire_command(wait_seconds: float) -> None:
    """Close pending requests past their expiry (subjects go back) and send due webhooks."""
    from app.approvals.service import expire_requests
    from app.approvals.webhooks import deliver_due, wait_for_deliveries
    from app.db import current_engine, unit_of_work

    with unit_of_work() as session:
        expired = expire_requests(session=session)
        ids = [request.id for request in expired]
    # The expiry events are sent by threads started at the commit; let them finish
    # before sweeping older pending deliveries, so nothing is sent twice by this process.
    wait_for_deliveries(wait_seconds)
    sent = deliver_due(engine=current_engine())
    click.echo(
        f"expired {len(ids)} approval request(s){': ' + ', '.join(map(str, ids)) if ids else ''}; "
        f"retried {sent} pending webhook deliver{'y' if sent == 1 else 'ies'}"
    )
