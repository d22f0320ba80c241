"""The load ``tests/load/test_load.py`` puts on a served Gatehouse, as locust users.

Fifty users share the server: pipelines asking gates, auditors reading the registry, and
approvers voting on the pending promotion requests the test seeded. Which subjects and
tokens to use comes from the JSON plan named by ``GATEHOUSE_LOAD_PLAN``; at the end the
ids of every decision and vote the server answered are written to the file named by
``GATEHOUSE_LOAD_ANSWERS``, so the test can look for each one in the ledger.

Locust counts as a failure every answer that is not the expected one: a 5xx, a refused
connection, a timeout, and any status a request of that kind should never get. A vote
refused with 409 (the request closed, or this approver already voted) is what concurrent
approvers meet, so it is counted apart, not as a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["GATEHOUSE_LOAD_PLAN"]).read_text())
#: What the server answered, written out when the run stops.
ANSWERED: dict[str, Any] = {"decisions": [], "votes": [], "votes_refused": 0, "outcomes": {}}
#: Each approver user takes the next approver identity (one vote per person per request).
_APPROVERS = itertools.cycle(PLAN["approvers"])


@events.test_stop.add_listener
def _write_answers(**_: Any) -> None:
    Path(os.environ["GATEHOUSE_LOAD_ANSWERS"]).write_text(json.dumps(ANSWERED))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class GateCaller(FastHttpUser):
    """A release pipeline asking the production and training gates."""

    fixed_count = 20
    wait_time = between(0.2, 0.8)

    def _ask(self, gate: str, subject_id: int) -> None:
        with self.client.post(
            f"/api/v1/gates/{gate}",
            json={"subject_id": subject_id},
            headers=_bearer(PLAN["pipeline_token"]),
            name=f"gate {gate}",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            decision = response.json()
            ANSWERED["decisions"].append(decision["id"])
            outcomes = ANSWERED["outcomes"]
            outcomes[decision["outcome"]] = outcomes.get(decision["outcome"], 0) + 1

    @task(3)
    def production_promotion(self) -> None:
        """Would this deployment be allowed into production?"""
        self._ask("production_promotion", random.choice(PLAN["deployment_ids"]))

    @task(1)
    def training_launch(self) -> None:
        """May this run train?"""
        self._ask("training_launch", PLAN["run_id"])


class RegistryReader(FastHttpUser):
    """An auditor reading records, lists and stored decisions."""

    fixed_count = 20
    wait_time = between(0.2, 0.8)

    def _read(self, path: str, name: str) -> None:
        with self.client.get(
            path, headers=_bearer(PLAN["reader_token"]), name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")

    @task
    def read_run(self) -> None:
        """One run with its datasets."""
        self._read(f"/api/v1/runs/{PLAN['run_id']}", "read run")

    @task
    def read_model(self) -> None:
        """One model version with its card and evaluations."""
        self._read(f"/api/v1/models/{PLAN['model_id']}", "read model")

    @task
    def read_deployment(self) -> None:
        """One deployment."""
        deployment_id = random.choice(PLAN["deployment_ids"])
        self._read(f"/api/v1/deployments/{deployment_id}", "read deployment")

    @task
    def list_deployments(self) -> None:
        """A page of deployments."""
        self._read("/api/v1/deployments?limit=20", "list deployments")

    @task
    def list_decisions(self) -> None:
        """A page of stored decisions (growing while the gates are asked)."""
        self._read("/api/v1/decisions?limit=20", "list decisions")


class Approver(FastHttpUser):
    """A compliance officer or model-risk approver working through the pending queue."""

    fixed_count = 10
    # People read before they vote: a slower pace than the machines'.
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        """Take an approver identity of its own."""
        self.identity: dict[str, str] = next(_APPROVERS)

    @task
    def vote_on_a_pending_request(self) -> None:
        """Read the queue, then approve one request in it (409 if another approver closed it
        first)."""
        headers = _bearer(self.identity["token"])
        with self.client.get(
            "/api/v1/approvals/pending", headers=headers, name="list pending", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            pending = response.json()["items"]
        if not pending:
            return
        request_id = random.choice(pending)["id"]
        with self.client.post(
            f"/api/v1/approvals/{request_id}/votes",
            json={"decision": "approve", "role": self.identity["role"]},
            headers=headers,
            name="vote",
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                ANSWERED["votes_refused"] += 1
                response.success()
                return
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            mine = [v for v in response.json()["votes"] if v["voter"] == self.identity["username"]]
            ANSWERED["votes"].extend(v["id"] for v in mine)
