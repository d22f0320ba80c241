"""``gatehouse demo``: a seeded registry on SQLite, served on 127.0.0.1, in one command."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["demo"]


@click.command("demo")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--dir",
    "demo_dir",
    default="instance/demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The demo's own folder; its database is recreated on every run.",
)
@click.option(
    "--serve/--no-serve", default=True, show_default=True, help="Serve the portal after seeding."
)
def demo(port: int, demo_dir: Path, serve: bool) -> None:
    """Migrate a SQLite database, seed a realistic registry, print logins, serve on 127.0.0.1."""
    import shutil
    import tempfile

    from werkzeug.serving import run_simple

    from app import create_app
    from app.config import settings_from_environment
    from app.db import unit_of_work
    from app.demo.seed import seed_demo, summary_lines
    from app.gates.engine_binding import current_policy_engine
    from app.migrations import upgrade

    demo_dir = demo_dir.resolve()
    for stale in ("demo.db", "demo.db-wal", "demo.db-shm", "storage"):
        target = demo_dir / stale
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    demo_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_from_environment().with_overrides(
        database_url=f"sqlite:///{demo_dir / 'demo.db'}",
        storage_dir=demo_dir / "storage",
        signing_identity_path=demo_dir / "signing" / "identity.p12",
        policy_engine="embedded",
        launcher="local",
    )
    # Served over plain HTTP on loopback (nothing leaves the machine), where not every
    # browser keeps a Secure cookie.
    serving_settings = settings.with_overrides(scheduler_in_web=True, secure_cookies=False)
    click.echo(f"migrating {settings.database_url}")
    upgrade(settings.database_url)
    application = create_app(settings)
    with (
        application.app_context(),
        tempfile.TemporaryDirectory() as work,
        unit_of_work() as session,
    ):
        click.echo("seeding the registry (datasets are validated and scanned for identifiers)...")
        seeded = seed_demo(
            session=session, settings=settings, engine=current_policy_engine(), work=Path(work)
        )
    url = f"http://127.0.0.1:{port}/"
    click.echo("\n".join(summary_lines(seeded, url)))
    if serve:
        # The embedded default runs the scheduler in the web process (audits, expiry, sync).
        run_simple("127.0.0.1", port, create_app(serving_settings), threaded=True)
