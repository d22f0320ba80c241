"""CONTRIBUTING's "add a launcher" recipe, followed once with a test-only launcher.

One :func:`register_launcher` call makes ``GATEHOUSE_LAUNCHER=<kind>`` valid: the
application builds it, an approved run launches through it after the gate is asked
again, and the status it reports is synced into the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app import create_app
from app.config import Settings
from app.db import session_scope
from app.launch.errors import LauncherError
from app.launch.launcher import LaunchSpec, LaunchStatus
from app.launch.registry import build_launcher, register_launcher, unregister_launcher
from app.launch.service import sync_run
from app.models.vocabulary import RunState
from tests.launch.runs import approved_run

KIND = "fixture_queue"


class QueueLauncher:
    """Keeps launched runs in memory; reports each one as succeeded."""

    kind = KIND

    def __init__(self) -> None:
        self.launched: dict[str, LaunchSpec] = {}

    def launch(self, spec: LaunchSpec) -> str:
        reference = f"queue/{spec.run_id}"
        self.launched[reference] = spec
        return reference

    def status(self, reference: str) -> LaunchStatus:
        return LaunchStatus(RunState.SUCCEEDED, f"{reference} done")


@pytest.fixture
def queue() -> Iterator[QueueLauncher]:
    launcher = QueueLauncher()
    register_launcher(KIND, lambda settings: launcher)
    yield launcher
    unregister_launcher(KIND)


def test_one_registration_makes_a_launcher_configurable(
    settings: Settings, queue: QueueLauncher, people: dict[str, Any]
) -> None:
    app = create_app(settings.with_overrides(launcher=KIND))
    engine = app.extensions["gatehouse.engine"]
    policy_engine = app.extensions["gatehouse.policy_engine"]
    run_id, _ = approved_run(engine, policy_engine, ["train"])
    launched = app.test_client().post(
        f"/api/v1/runs/{run_id}/launch",
        headers={"Authorization": f"Bearer {people['engineer'].token}"},
    )
    assert launched.status_code == 200, launched.get_data(as_text=True)
    body = launched.get_json()
    assert body["launcher_kind"] == KIND and body["launcher_ref"] == f"queue/{run_id}"
    spec = queue.launched[f"queue/{run_id}"]
    assert spec.run_id == run_id and spec.decision_id == body["decision_id"]
    with app.app_context(), session_scope(engine) as session:
        synced = sync_run(session=session, launcher=queue, run_id=run_id)
        assert synced.state == "succeeded" and synced.launcher_kind == KIND


def test_an_unregistered_launcher_is_refused_with_the_known_ones(settings: Settings) -> None:
    with pytest.raises(LauncherError, match="use kubernetes or local"):
        build_launcher(settings.with_overrides(launcher="nowhere"))
