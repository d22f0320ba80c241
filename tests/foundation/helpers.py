"""Small builders for registry objects used across the foundation tests."""

from __future__ import annotations

import hashlib
from typing import Any


def sha(text: str) -> str:
    """SHA-256 hex of ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()


def make_lineage(actor: Any) -> dict[str, int]:
    """dataset v1 → run → model → deployment through the API; returns the ids."""
    dataset = actor.post(
        "/api/v1/datasets", json={"name": "notes", "owner": actor.username, "domain": "healthcare"}
    ).get_json()
    version = actor.post(
        f"/api/v1/datasets/{dataset['id']}/versions",
        json={
            "format": "openai_chat",
            "content_sha256": sha("v1"),
            "storage_uri": "file:///data/notes-v1.jsonl",
            "contains_phi": True,
        },
    ).get_json()
    run = actor.post(
        "/api/v1/runs",
        json={
            "name": "notes-sft",
            "base_model": "llama-3.1-8b",
            "platform": "meta",
            "method": "lora",
            "dataset_version_ids": [version["id"]],
        },
    ).get_json()
    model = actor.post(
        "/api/v1/models",
        json={"name": "notes-assistant", "version": "1.0", "platform": "meta", "run_id": run["id"]},
    ).get_json()
    deployment = actor.post(
        "/api/v1/deployments",
        json={"model_version_id": model["id"], "endpoint": "https://staging.example/notes"},
    ).get_json()
    return {
        "dataset": dataset["id"],
        "version": version["id"],
        "run": run["id"],
        "model": model["id"],
        "deployment": deployment["id"],
    }
