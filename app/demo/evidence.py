"""The demo's evaluation evidence for notes-assistant, imported from the files a team
would have: lm-evaluation-harness results for the model and its base model, the
in-house reasoning evaluation (generic JSON, with memorisation tests) and a garak
report whose training-data replay probe leaked one note (an open critical finding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.evaluations.findings import findings_of
from app.evaluations.importing import ImportOptions, import_evidence

if TYPE_CHECKING:
    from app.demo.seed import DemoSeed

#: Where the demo's evidence files live.
EVIDENCE_DIR = PROJECT_ROOT / "data" / "demo"
#: The lm-evaluation-harness metric the healthcare policy reads as answer accuracy.
ACCURACY_METRIC = {"medqa_4options/acc_norm": "accuracy"}


def _read(name: str) -> bytes:
    return (EVIDENCE_DIR / name).read_bytes()


def import_notes_evidence(*, session: Session, seed: DemoSeed, actor: str = "release-bot") -> None:
    """Import the notes model's evidence as the release pipeline that ran the tools (the
    gates count evidence only from someone who did not build the model); remembers the
    open leakage finding's id."""
    model_id = seed.ids["notes_model"]
    for source_format, file_name, options in (
        (
            "lm_eval",
            "notes-assistant.lm-eval.json",
            ImportOptions(metric_names=ACCURACY_METRIC, baseline=_read("claude-base.lm-eval.json")),
        ),
        ("generic_json", "notes-assistant.reasoning-eval.json", None),
        ("garak", "notes-assistant.garak.report.jsonl", None),
    ):
        import_evidence(
            session=session,
            model_id=model_id,
            source_format=source_format,
            content=_read(file_name),
            file_name=file_name,
            actor=actor,
            options=options,
        )
    leak = next(
        f for f in findings_of(session=session, model_id=model_id) if f.category == "data_leakage"
    )
    seed.ids["notes_leak_finding"] = leak.id or 0
    seed.story.append(
        f"evidence         notes-assistant        garak: open {leak.severity} {leak.category} "
        f"finding {leak.id} ({leak.probe})"
    )
