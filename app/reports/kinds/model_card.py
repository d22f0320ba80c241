"""Kind ``model_card``: a model version's card with its training data, evaluations and audits."""

from __future__ import annotations

import datetime as dt

from app.models.model_versions import MODEL_CARD_SECTIONS, ModelVersion
from app.models.vocabulary import LedgerSubject
from app.registry.model_versions import card_of, evaluations_of
from app.registry.records import get_record
from app.registry.runs import run_dataset_versions
from app.reports.contexts import (
    ModelCardContext,
)
from app.reports.evidence import (
    audit_summary,
    evaluation_summary,
    succeeded_audits,
)
from app.reports.kind import ReportKind, register_kind
from app.reports.reader import (
    Reader,
    dataset_ref,
    meta,
    model_label,
    model_summary,
)


def _model_card(
    reader: Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> ModelCardContext:
    """Kind ``model_card`` for a model version."""
    model_id = subject_id
    model = get_record(session=reader.session, model=ModelVersion, record_id=model_id)
    card = card_of(session=reader.session, model_id=model_id)
    sections = card.sections if card is not None else {}
    text = {
        name: str(sections.get(name, "")).strip()
        or "Not written. The model card control (COMMON-MODEL-CARD) requires this section."
        for name in MODEL_CARD_SECTIONS
    }
    datasets = (
        run_dataset_versions(session=reader.session, run_id=model.run_id)
        if model.run_id is not None
        else []
    )
    return {
        "meta": meta(
            reader,
            subject=f"model {model_label(model)} (#{model.id})",
            actor=actor,
            generated_at=generated_at,
        ),
        "model": model_summary(reader, model),
        "card": text,  # type: ignore[typeddict-item]
        "training_datasets": [dataset_ref(reader, version) for version in datasets],
        "evaluations": [
            evaluation_summary(reader, evaluation)
            for evaluation in evaluations_of(session=reader.session, model_id=model_id)
        ],
        "audits": [audit_summary(reader, audit) for audit in succeeded_audits(reader, model_id)],
    }


register_kind(
    ReportKind(
        name="model_card",
        label="Model card",
        subject_type=LedgerSubject.MODEL_VERSION,
        build=_model_card,
    )
)
