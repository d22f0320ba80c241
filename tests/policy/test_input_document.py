"""The input document: its JSON form is what both engines can read, and nothing raw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from app.policy.input_document import (
    DatasetInput,
    GateInput,
    Subject,
    example_inputs,
    format_timestamp,
)


def test_timestamps_are_utc_whole_seconds_with_a_numeric_offset() -> None:
    paris = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 26, 10, 0, 5, 123456, tzinfo=paris)
    assert format_timestamp(moment) == "2026-11-26T09:00:05+00:00"
    document = GateInput(
        gate="dataset_use", subject=Subject(kind="dataset_version", id="d"), now=moment
    ).document()
    assert document["now"] == "2026-11-26T09:00:05+00:00"
    assert format_timestamp(datetime(2026, 1, 1)) == "2026-01-01T00:00:00+00:00"


def test_document_has_every_top_level_member() -> None:
    document = example_inputs()["credit_promotion_ready"].document()
    assert list(document) == [
        "gate",
        "subject",
        "datasets",
        "run",
        "model",
        "card",
        "evaluations",
        "audits",
        "approvals",
        "deployment",
        "monitoring",
        "now",
    ]
    assert document["datasets"][0]["retention_until"] == "2029-06-30T00:00:00+00:00"


def test_unknown_members_and_values_are_rejected() -> None:
    dataset = {
        "id": "d",
        "name": "n",
        "version": "1",
        "contains_pii": True,
        "contains_phi": False,
        "special_category": False,
    }
    DatasetInput.model_validate(dataset)
    with pytest.raises(ValidationError):
        DatasetInput.model_validate({**dataset, "raw_rows": ["Jane Doe, 1970-01-01"]})
    with pytest.raises(ValidationError):
        DatasetInput.model_validate({**dataset, "pii_findings_count": -1})
    with pytest.raises(ValidationError):
        GateInput.model_validate(
            {"gate": "launch", "subject": {"kind": "run", "id": "r"}, "now": datetime.now(UTC)}
        )
