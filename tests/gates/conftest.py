"""A seeded registry (the demo's datasets, runs and models) for gate tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.db import session_scope
from app.demo.seed import DemoSeed, seed_datasets, seed_people, seed_runs_and_models


@pytest.fixture
def seeded(app: Any, engine: Any, settings: Any, tmp_path: Path) -> DemoSeed:
    """Datasets (validated and scanned), runs on four platforms, models and a deployment."""
    seed = DemoSeed()
    work = tmp_path / "work"
    work.mkdir()
    with session_scope(engine) as session:
        seed_people(session, seed, fast_hash=True)
        seed_datasets(session, settings, work, seed)
        seed_runs_and_models(session, seed)
    return seed
