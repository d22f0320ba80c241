"""Registering dataset versions from files: API upload and CLI, validation and scan stored."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from app import create_app
from app.cli import cli
from app.demo import files

FIXTURES = Path(__file__).resolve().parents[1] / "formats" / "fixtures"


def _dataset(actor: Any, name: str = "notes") -> int:
    return int(
        actor.post("/api/v1/datasets", json={"name": name, "owner": actor.username}).get_json()[
            "id"
        ]
    )


def _upload(actor: Any, dataset_id: int, content: bytes, filename: str, **fields: str) -> Any:
    data = {"file": (io.BytesIO(content), filename), **fields}
    return actor.post(
        f"/api/v1/datasets/{dataset_id}/versions/upload",
        data=data,
        content_type="multipart/form-data",
    )


def test_upload_stores_report_and_classification_without_raw_identifiers(
    make_actor: Any, tmp_path: Path, settings: Any
) -> None:
    engineer = make_actor("ml_engineer")
    raw = files.clinical_notes(tmp_path / "notes.jsonl", deidentified=False, records=10)
    response = _upload(
        engineer,
        _dataset(engineer),
        raw.read_bytes(),
        "../../etc/notes.jsonl",
        metadata=json.dumps({"data_subject_regions": ["US"]}),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    version = response.get_json()
    assert version["is_valid"] and version["row_count"] == 10 and version["format"] == "openai_chat"
    assert (
        version["contains_pii"]
        and version["contains_phi"]
        and version["classification_source"] == "scan"
    )
    assert version["pii_findings"]["counts"]["phone_fax"] == 10
    text = response.get_data(as_text=True)
    for line in raw.read_text().splitlines():
        note = json.loads(line)["messages"][1]["content"]
        phone = note.split("phone ")[1].rstrip(".")
        assert phone not in text
    stored = Path(version["storage_uri"].removeprefix("file://"))
    assert stored.is_relative_to(settings.storage_dir) and stored.name.startswith(
        version["content_sha256"]
    )


def test_broken_file_is_registered_invalid_with_line_and_field(make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    content = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n{"messages": [{"role": "bot", "content": "x"}]}\n'
    version = _upload(
        engineer, _dataset(engineer), content, "chat.jsonl", format="openai_chat"
    ).get_json()
    assert version["is_valid"] is False
    errors = version["validation_report"]["errors"]
    assert any(e["line"] == 2 and e["field"] == "messages[0].role" for e in errors)


def test_upload_mistakes_are_4xx(make_actor: Any, settings: Any) -> None:
    engineer = make_actor("ml_engineer")
    dataset_id = _dataset(engineer)
    missing = engineer.post(
        f"/api/v1/datasets/{dataset_id}/versions/upload",
        data={"format": "llama_io"},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422 and missing.get_json()["detail"] == "file: Field required"
    bad_meta = _upload(
        engineer,
        dataset_id,
        b'{"input": "a", "output": "b"}\n',
        "a.jsonl",
        metadata='{"lawful_basis": "because"}',
    )
    assert bad_meta.status_code == 422 and "lawful_basis" in bad_meta.get_json()["detail"]
    unknown = _upload(engineer, dataset_id, b"\x00\x01 binary junk", "junk.bin")
    assert unknown.status_code == 422 and "cannot register" in unknown.get_json()["detail"]
    assert _upload(engineer, 999, b'{"input": "a", "output": "b"}\n', "a.jsonl").status_code == 404


def test_upload_over_the_limit_is_413(settings: Any, make_actor: Any) -> None:
    small = create_app(settings.with_overrides(max_upload_bytes=64))
    engineer = make_actor("ml_engineer")
    engineer.client = small.test_client()
    response = _upload(
        engineer, _dataset(engineer), b'{"input": "a", "output": "b"}\n' * 20, "big.jsonl"
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_cli_register_creates_and_reports(app: Any, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = files.credit_explanations(tmp_path / "credit.jsonl", records=5)
    result = runner.invoke(
        cli, ["dataset", "register", str(good), "--dataset", "credit", "--create", "--owner", "eli"]
    )
    assert result.exit_code == 0, result.output
    assert "registered credit v1" in result.output and "llama_io, 5 records, valid" in result.output
    broken = FIXTURES / "broken" / sorted(p.name for p in (FIXTURES / "broken").iterdir())[0]
    result = runner.invoke(cli, ["dataset", "register", str(broken), "--dataset", "credit"])
    assert (
        result.exit_code == 1
        and "registered credit v2" in result.output
        and "line " in result.output
    )
    missing = runner.invoke(cli, ["dataset", "register", str(good), "--dataset", "nope"])
    assert missing.exit_code == 2 and "--create" in missing.output
