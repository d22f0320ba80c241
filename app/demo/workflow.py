"""The demo's governance story, told through the same workflows the doors use.

Every run is submitted through the ``training_launch`` gate. Runs the policy blocks stay
drafts with their stored decision; runs blocked only by missing sign-off open approval
requests. The compliance officer approves the credit LoRA run, which then launches on
the local launcher (the gate is asked again first) and is followed to the end. The credit
model's promotion is requested after its audits: the policy's verdict on the audit
figures decides it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlmodel import Session

from app.approvals import service as approvals
from app.approvals.flows import PROMOTION_FLOW, RUN_FLOW
from app.config import Settings
from app.launch.registry import build_launcher
from app.launch.service import launch_run, sync_run
from app.models.governance import PolicyDecisionBase
from app.models.vocabulary import RunState
from app.policy.engine import PolicyEngine

if TYPE_CHECKING:  # seed.py imports this module to tell the story
    from app.demo.seed import DemoSeed

#: Seconds the demo waits for the local training command to finish.
_TRAINING_WAIT_S = 30.0


def _controls(decision: PolicyDecisionBase) -> str:
    return ", ".join(sorted({v["control"] for v in decision.violations})) or "all controls pass"


def _submit_runs(session: Session, engine: PolicyEngine, seed: DemoSeed) -> None:
    for name in ("notes-o4-mini-sft", "notes-claude-sft", "triage-gemini-sft", "credit-llama-lora"):
        outcome = approvals.request_approval(
            session=session, engine=engine, flow=RUN_FLOW, subject_id=seed.ids[name], actor="eli"
        )
        if outcome.request is None:
            seed.story.append(
                f"training_launch  {name:<22} DENY, stays draft: {_controls(outcome.decision)}"
            )
        else:
            seed.ids[f"{name}_request"] = outcome.request.id or 0
            roles = ", ".join(
                f"{r['count']} x {r['role']}" for r in outcome.request.required_approvals
            )
            seed.story.append(f"training_launch  {name:<22} submitted, awaiting approval ({roles})")


def _approve_and_launch(
    session: Session, settings: Settings, engine: PolicyEngine, seed: DemoSeed
) -> None:
    name = "credit-llama-lora"
    approvals.vote(
        session=session,
        engine=engine,
        request_id=seed.ids[f"{name}_request"],
        voter="olivia",
        role="compliance_officer",
        decision="approve",
        comment="Datasets are GDPR-documented; internal GPUs in DE.",
    )
    launcher = build_launcher(settings)
    outcome = launch_run(
        session=session,
        engine=engine,
        launcher=launcher,
        run_id=seed.ids[name],
        actor="release-bot",
    )
    if outcome.refusal is not None:
        seed.story.append(f"launch           {name:<22} refused: {outcome.refusal}")
        return
    deadline = time.monotonic() + _TRAINING_WAIT_S
    run = outcome.run
    while run.state == RunState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.2)
        run = sync_run(session=session, launcher=launcher, run_id=seed.ids[name])
    seed.story.append(
        f"launch           {name:<22} approved by olivia, launched locally, {run.state}"
    )


def _request_promotions(session: Session, engine: PolicyEngine, seed: DemoSeed) -> None:
    for label, deployment in (
        ("credit-risk-assistant", "credit_deployment"),
        ("notes-assistant", "notes_deployment"),
    ):
        outcome = approvals.request_approval(
            session=session,
            engine=engine,
            flow=PROMOTION_FLOW,
            subject_id=seed.ids[deployment],
            actor="release-bot",
        )
        verdict = (
            "promotion requested, awaiting approval"
            if outcome.request
            else f"DENY, stays in staging: {_controls(outcome.decision)}"
        )
        seed.story.append(f"promotion        {label:<22} {verdict}")


def run_demo_workflow(
    *, session: Session, settings: Settings, engine: PolicyEngine, seed: DemoSeed
) -> None:
    """Submit, approve, launch and request promotion, adding what happened to ``seed.story``."""
    _submit_runs(session, engine, seed)
    _approve_and_launch(session, settings, engine, seed)
    _request_promotions(session, engine, seed)
