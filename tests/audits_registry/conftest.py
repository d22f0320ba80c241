"""A seeded registry with the demo's credit model audited, and a helper to register decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from app.db import session_scope
from app.demo.audits import seed_demo_audits
from app.demo.seed import DemoSeed
from app.registry import datasets as dataset_service
from app.registry.dataset_ingest import ingest_dataset_file
from app.registry.schemas import DatasetCreate, DatasetVersionMetadata
from app.storage import stage_file
from tests.gates import conftest as gates_fixtures

#: The demo registry before any audit (datasets, runs, models, a staging deployment).
seeded = gates_fixtures.seeded


@pytest.fixture
def policy_engine(app: Any) -> Any:
    """The application's policy engine (embedded)."""
    return app.extensions["gatehouse.policy_engine"]


@pytest.fixture
def audited(
    seeded: DemoSeed, engine: Any, settings: Any, policy_engine: Any, tmp_path: Path
) -> DemoSeed:
    """The demo registry after the demo's artefact, schedules and first audits."""
    with session_scope(engine) as session:
        seed_demo_audits(
            session, settings=settings, engine=policy_engine, work=tmp_path / "work", seed=seeded
        )
    return seeded


@pytest.fixture
def register_decisions(engine: Any, settings: Any, tmp_path: Path) -> Any:
    """Factory: register a decisions table (a DataFrame) as a tabular dataset version."""
    counter = {"n": 0}

    def register(frame: pd.DataFrame) -> int:
        counter["n"] += 1
        path = tmp_path / f"decisions-{counter['n']}.csv"
        frame.to_csv(path, index=False)
        stored = stage_file(path, root=settings.storage_dir / "datasets", max_bytes=10**8)
        with session_scope(engine) as session:
            dataset = dataset_service.create_dataset(
                session=session,
                data=DatasetCreate(
                    name=f"decisions-{counter['n']}", owner="eli", purpose="audit", domain="credit"
                ),
                actor="eli",
            )
            version, _ = ingest_dataset_file(
                session=session,
                dataset_id=dataset.id or 0,
                stored=stored,
                declared=DatasetVersionMetadata(),
                actor="eli",
                format="tabular",
            )
            return version.id or 0

    return register


def decisions_table(*, selection: dict[str, float], rows_per_group: int = 200) -> pd.DataFrame:
    """Decisions per group with the given approval rates and labels equal to the decisions.

    With ``y_true == y_pred`` every error rate is 0 in every group, so the equalized odds
    difference is 0 and only the selection rates differ between groups.
    """
    records = []
    for group, rate in selection.items():
        approved = round(rate * rows_per_group)
        for n in range(rows_per_group):
            decision = 1 if n < approved else 0
            records.append({"applicant_group": group, "y_true": decision, "y_pred": decision})
    return pd.DataFrame.from_records(records)
