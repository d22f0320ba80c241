"""Model version, model card and evaluation services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from app.errors import NotFoundError, ValidationError
from app.models.base import utc_now
from app.models.model_versions import MODEL_CARD_SECTIONS, Evaluation, ModelCard, ModelVersion
from app.models.runs import FineTuneRun
from app.models.vocabulary import EvaluationKind
from app.registry.ownership import ensure_owner_or_admin, keep_everyone_named
from app.registry.records import create_record, get_record, update_record
from app.registry.schemas import (
    EvaluationCreate,
    ModelCardUpdate,
    ModelVersionCreate,
    ModelVersionUpdate,
)


def create_model_version(*, session: Session, data: ModelVersionCreate, actor: str) -> ModelVersion:
    """Register a model version; (name, version) is unique."""
    duplicate = session.exec(
        select(ModelVersion).where(
            ModelVersion.name == data.name, ModelVersion.version == data.version
        )
    ).first()
    if duplicate is not None:
        raise ValidationError(
            f"model '{data.name}' version '{data.version}' already exists (id {duplicate.id})"
        )
    if data.run_id is not None:
        get_record(session=session, model=FineTuneRun, record_id=data.run_id)
    fields = data.model_dump()
    if actor not in fields["developers"]:
        fields["developers"] = [actor, *fields["developers"]]
    return create_record(
        session=session, record=ModelVersion(**fields, created_by=actor), actor=actor
    )


def model_version_id_named(*, session: Session, model: str) -> int:
    """The id of ``model``: a model version id given as digits, ``name@version`` (split at
    the last ``@``, so a name may hold one), or a bare name that names exactly one version.
    Every door reads a model reference so (the CLI over the API: ``GET /models/named``). A
    name with several versions is refused rather than resolved to one the caller did not
    choose."""
    if model.isdigit():
        return int(model)
    name, _, version = model.rpartition("@") if "@" in model else (model, "", "")
    query = select(ModelVersion.id, ModelVersion.version).where(ModelVersion.name == name)
    if version:
        query = query.where(ModelVersion.version == version)
    found = session.exec(query.order_by(col(ModelVersion.id))).all()
    if not found:
        raise NotFoundError(f"no model version named '{model}'")
    if len(found) > 1:
        versions = ", ".join(f"{name}@{version_of}" for _, version_of in found)
        raise ValidationError(f"'{model}' names {len(found)} model versions ({versions}); give one")
    return int(found[0][0] or 0)


def update_model_version(
    *, session: Session, model_id: int, data: ModelVersionUpdate, actor: str
) -> ModelVersion:
    """Change a model version (its registrant, developers or an admin)."""
    model = get_record(session=session, model=ModelVersion, record_id=model_id)
    ensure_owner_or_admin(
        session=session,
        actor=actor,
        owners={model.created_by, *model.developers},
        subject=f"model version {model_id}",
        owned_by=f"its registrant ({model.created_by}), its developers",
    )
    keep_everyone_named(
        named=model.developers,
        given=data.developers,
        field="the developers",
        subject=f"model version {model_id}",
    )
    return update_record(
        session=session, record=model, changes=data.model_dump(exclude_none=True), actor=actor
    )


def card_of(*, session: Session, model_id: int) -> ModelCard | None:
    """The model card of a model version, if one was written."""
    return session.exec(select(ModelCard).where(ModelCard.model_version_id == model_id)).first()


def set_model_card(
    *, session: Session, model_id: int, data: ModelCardUpdate, actor: str
) -> ModelCard:
    """Set sections of the model card (creating it on first write)."""
    get_record(session=session, model=ModelVersion, record_id=model_id)
    unknown = sorted(set(data.sections) - set(MODEL_CARD_SECTIONS))
    if unknown:
        raise ValidationError(
            f"unknown model card section(s): {', '.join(unknown)}; known: {', '.join(MODEL_CARD_SECTIONS)}"
        )
    card = card_of(session=session, model_id=model_id)
    if card is None:
        card = ModelCard(model_version_id=model_id, sections=dict(data.sections), updated_by=actor)
        return create_record(session=session, record=card, actor=actor, action="model_card.created")
    merged = {**card.sections, **data.sections}
    return update_record(
        session=session,
        record=card,
        changes={"sections": merged, "updated_at": utc_now(), "updated_by": actor},
        actor=actor,
    )


def missing_card_sections(card: ModelCard | None) -> list[str]:
    """Sections of the model card that are absent or blank."""
    return missing_sections(card.sections if card else {})


def missing_sections(sections: Mapping[str, Any]) -> list[str]:
    """Of a card's ``sections``, the names of those absent or blank."""
    return [name for name in MODEL_CARD_SECTIONS if not str(sections.get(name, "")).strip()]


def add_evaluation(
    *, session: Session, model_id: int, data: EvaluationCreate, actor: str
) -> Evaluation:
    """Record a benchmark or red-team result for a model version (its kind's fields are
    checked by :class:`EvaluationCreate`)."""
    get_record(session=session, model=ModelVersion, record_id=model_id)
    unmeasured = sorted(set(data.thresholds) - set(data.metrics))
    if unmeasured:
        raise ValidationError(f"thresholds for metrics without a value: {', '.join(unmeasured)}")
    fields = data.model_dump()
    fields["kind"] = EvaluationKind(data.kind)
    fields["thresholds"] = {
        metric: bound.model_dump(exclude_none=True) for metric, bound in data.thresholds.items()
    }
    evaluation = Evaluation(model_version_id=model_id, **fields, created_by=actor)
    return create_record(session=session, record=evaluation, actor=actor)


def evaluations_of(
    *, session: Session, model_id: int, include_superseded: bool = False
) -> list[Evaluation]:
    """A model version's evaluations, oldest first: the standing ones (what the gates and
    reports read), or with ``include_superseded`` the whole history."""
    query = select(Evaluation).where(Evaluation.model_version_id == model_id)
    if not include_superseded:
        query = query.where(col(Evaluation.superseded_at).is_(None))
    return list(session.exec(query.order_by(col(Evaluation.id))).all())
