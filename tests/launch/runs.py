"""An approved run, built through the real services: where every launch test starts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.approvals import service as approvals
from app.approvals.flows import RUN_FLOW
from app.attestations.service import attest
from app.db import session_scope
from app.models.runs import FineTuneRun
from app.registry import runs
from app.registry.schemas import RunCreate
from tests.approvals.conftest import ENGINEER, FACT_OFFICER, build_registry


def approved_run(
    engine: sa.Engine,
    policy_engine: Any,
    command: list[str],
    *,
    name: str = "faq",
    gpu_count: int = 1,
    max_hours: float = 2,
) -> tuple[int, int]:
    """A run on a public dataset, submitted and approved by an officer; (run id, version id)."""
    with session_scope(engine) as session:
        registry = build_registry(session, name=name)
        run = runs.create_run(
            session=session,
            data=RunCreate(
                name=f"{name}-sft",
                base_model="meta-llama/Llama-3.1-8B-Instruct",
                platform="meta",
                hosting="internal",
                training_region="US",
                method="sft",
                gpu_type="nvidia-a100-80gb",
                gpu_count=gpu_count,
                max_hours=max_hours,
                training_command=command,
                dataset_version_ids=[registry.dataset_version_id],
            ),
            actor=ENGINEER,
        )
        # The compliance officer attests the hosting the launcher's recipe is chosen by.
        attest(
            session=session,
            subject_type="finetune_run",
            subject_id=run.id or 0,
            fact="hosting",
            value="internal",
            evidence_ref="GPU pool inventory",
            justification="trains on our own GPUs",
            actor=FACT_OFFICER,
        )
        request = approvals.request_approval(
            session=session,
            engine=policy_engine,
            flow=RUN_FLOW,
            subject_id=run.id or 0,
            actor=ENGINEER,
        ).request
        assert request is not None, "the happy-path registry should open an approval request"
    with session_scope(engine) as session:
        approvals.vote(
            session=session,
            engine=policy_engine,
            request_id=request.id or 0,
            voter="olivia",
            role="compliance_officer",
            decision="approve",
        )
    return run.id or 0, registry.dataset_version_id


def run_state(engine: sa.Engine, run_id: int) -> FineTuneRun:
    """The run as committed."""
    with session_scope(engine) as session:
        run = session.get(FineTuneRun, run_id)
        assert run is not None
        return run
