"""One registration point: every door reads formats from the catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.formats import catalog, detect_format, validate_file
from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.jsontypes import record_object
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary
from app.models.datasets import DatasetFormat


class _Haiku(JsonLinesFormat):
    """A fixture format: ``{"haiku": [three lines]}``."""

    name = "fixture_haiku"

    def check(self, record: JsonRecord, log: IssueLog) -> RecordSummary | None:
        value = record_object(record, log)
        if value is None:
            return None
        lines = value.get("haiku")
        if not isinstance(lines, list) or len(lines) != 3:
            log.error(record.line, "haiku", "a haiku has three lines", "haiku.lines")
            return None
        return RecordSummary((), (("haiku", "\n".join(lines)),), sum(map(len, lines)))

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        return "haiku" in value


def test_one_registration_makes_a_format_detected_and_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "_REGISTRY", dict(catalog._REGISTRY))
    catalog.register(FormatEntry(_Haiku, "Haiku"))
    path = tmp_path / "h.jsonl"
    path.write_text(
        json.dumps({"haiku": ["old pond", "a frog jumps in", "the sound of water"]})
        + "\n"
        + json.dumps({"haiku": ["only one line"]})
        + "\n"
    )
    assert detect_format(path) == "fixture_haiku"
    report = validate_file(path)
    assert [(e.line, e.code) for e in report.errors] == [(2, "haiku.lines")]
    with pytest.raises(ValueError, match="already registered"):
        catalog.register(FormatEntry(_Haiku, "Haiku"))


def test_the_registry_and_the_database_vocabulary_agree() -> None:
    assert set(catalog.FORMATS) == {member.value for member in DatasetFormat}
