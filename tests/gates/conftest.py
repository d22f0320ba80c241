"""A seeded registry (the demo's datasets, runs and models) for gate tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.db import session_scope
from app.demo.registry import seed_datasets, seed_runs_and_models
from app.demo.seed import DemoSeed, seed_people


@pytest.fixture
def seeded(app: Any, engine: Any, settings: Any, tmp_path: Path) -> DemoSeed:
    """Datasets (validated and scanned), runs on four platforms, models and a deployment."""
    seed = DemoSeed()
    work = tmp_path / "work"
    work.mkdir()
    with session_scope(engine) as session:
        seed_people(session, seed, fast_hash=True)
        seed_datasets(session=session, settings=settings, work=work, seed=seed)
        seed_runs_and_models(session=session, seed=seed)
    return seed
