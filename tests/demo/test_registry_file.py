"""The demo registry file: what it holds, and that a wrong entry fails the load (with the
entry named) before anything is seeded."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from app.demo.registry import REGISTRY_FILE, DemoRegistry, load_demo_registry
from app.models.vocabulary import Domain, Platform


def _document() -> dict[str, Any]:
    text = resources.files("app.demo").joinpath(REGISTRY_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def test_the_file_holds_the_demo_story() -> None:
    registry = load_demo_registry()
    assert [entry.dataset.name for entry in registry.datasets] == [
        "clinical-notes",
        "eu-patient-triage",
        "german-credit",
        "credit-explanations",
        "radiology-findings",
    ]
    assert registry.datasets[0].dataset.domain is Domain.HEALTHCARE
    raw, deidentified = registry.datasets[0].versions
    # The shared HIPAA classification reaches both versions, each with its own method.
    assert raw.declared.phi_fields == deidentified.declared.phi_fields
    assert raw.declared.deidentification_method == "none"
    assert deidentified.declared.deidentification_method == "safe_harbor"
    credit = registry.datasets[2].versions[0]
    assert credit.declared.provenance_licence == "CC BY 4.0"
    assert "Hofmann 1994" in (credit.declared.provenance_source or "")
    assert [entry.run["name"] for entry in registry.runs] == [
        "notes-o4-mini-sft",
        "notes-claude-sft",
        "triage-gemini-sft",
        "credit-llama-lora",
    ]
    notes = registry.releases[1]
    card = registry.card(model=notes.model["name"], card=notes.card)
    assert card["details"] == (
        "notes-assistant: a fine-tuned language model for healthcare decisions support."
    )
    assert "caveats" not in card and "ethical_considerations" not in card
    assert len(registry.card(model="m", card=registry.releases[0].card)) == len(registry.model_card)
    assert registry.releases[0].evaluations[1].severity == "medium"
    assert {entry.run["platform"] for entry in registry.runs} == {
        platform.value
        for platform in (Platform.OPENAI, Platform.ANTHROPIC, Platform.GOOGLE, Platform.META)
    }


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda doc: doc["datasets"][0]["dataset"].update(colour="red"), "colour"),
        (lambda doc: doc["datasets"][1]["versions"][0].update(writer="nowhere"), "writer"),
        (
            lambda doc: doc["datasets"][0]["versions"][0]["declared"].update(
                retention_until="someday"
            ),
            "retention_until",
        ),
        (lambda doc: doc["runs"][2].update(dataset_versions=["triage", "gone"]), "gone"),
        (lambda doc: doc["releases"][0].update(run="never-ran"), "never-ran"),
        (lambda doc: doc["releases"][0]["evaluations"][0].update(kind="horoscope"), "kind"),
    ],
)
def test_a_wrong_entry_fails_the_load_naming_it(change: Any, named: str) -> None:
    document = _document()
    change(document)
    with pytest.raises(ValidationError, match=named):
        DemoRegistry.model_validate(document)
