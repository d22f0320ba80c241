"""Seed the demo registry through the same services the doors use (so it is ledgered)."""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from app.auth.accounts import create_token, create_user
from app.config import Settings
from app.demo.audits import seed_demo_audits
from app.demo.evidence import import_notes_evidence
from app.demo.registry import seed_datasets, seed_runs_and_models
from app.demo.workflow import run_demo_workflow
from app.policy.engine import PolicyEngine
from app.reports import service as report_service
from app.reports.prepared import ReportRequest

#: The demo's people: username -> (display name, role).
PEOPLE: dict[str, tuple[str, str]] = {
    "olivia": ("Olivia Officer", "compliance_officer"),
    "marcus": ("Marcus Risk", "model_risk"),
    "eli": ("Eli Engineer", "ml_engineer"),
    "audrey": ("Audrey Auditor", "auditor"),
    "ada": ("Ada Admin", "admin"),
}


@dataclass
class DemoSeed:
    """What the demo created: passwords to print and the ids of interesting objects."""

    passwords: dict[str, str] = field(default_factory=dict)
    pipeline_token: str = ""
    ids: dict[str, int] = field(default_factory=dict)
    #: What happened to each run and deployment, one line each, for the summary.
    story: list[str] = field(default_factory=list)


def seed_people(session: Session, seed: DemoSeed, *, fast_hash: bool = False) -> None:
    """The demo's users (random passwords) and a pipeline token."""
    for username, (display, role) in PEOPLE.items():
        password = secrets.token_urlsafe(12)
        create_user(
            session=session,
            username=username,
            display_name=display,
            roles=[role],
            password=password,
            actor="demo",
            fast_hash=fast_hash,
        )
        seed.passwords[username] = password
    create_user(
        session=session,
        username="release-bot",
        display_name="Release pipeline",
        roles=["pipeline"],
        actor="demo",
    )
    seed.pipeline_token = create_token(
        session=session,
        username="release-bot",
        name="demo pipeline",
        scopes=["read", "write", "gate"],
        actor="demo",
    ).secret


def seed_demo(
    *, session: Session, settings: Settings, engine: PolicyEngine, work: Path
) -> DemoSeed:
    """Create the whole demo registry; returns what to show the person running it."""
    seed = DemoSeed()
    seed_people(session, seed)
    seed_datasets(session=session, settings=settings, work=work, seed=seed)
    seed_runs_and_models(session=session, seed=seed)
    seed_demo_audits(session, settings=settings, engine=engine, work=work, seed=seed)
    import_notes_evidence(session=session, seed=seed)
    run_demo_workflow(session=session, settings=settings, engine=engine, seed=seed)
    for request in (
        ReportRequest("promotion_evidence", seed.ids["credit_deployment"]),
        ReportRequest("dataset_sheet", seed.ids["notes_raw"]),
    ):
        report_service.generate(
            sessions=lambda: nullcontext(session),
            settings=settings,
            request=request,
            actor="olivia",
        )
    return seed


def summary_lines(seed: DemoSeed, url: str) -> list[str]:
    """What ``gatehouse demo`` prints."""
    lines: list[str] = [
        f"Gatehouse demo at {url}",
        "",
        "Log in as the compliance officer:",
        f"  username: olivia   password: {seed.passwords['olivia']}",
        "Other demo users (same portal):",
    ]
    lines += [
        f"  {name:<8} {PEOPLE[name][1]:<20} password: {password}"
        for name, password in seed.passwords.items()
        if name != "olivia"
    ]
    lines += [
        "Pipeline token (release-bot; read, write, gate):",
        f"  {seed.pipeline_token}",
        "",
        "What happened while seeding (every step is in the ledger):",
    ]
    lines += [f"  {line}" for line in seed.story]
    return lines
