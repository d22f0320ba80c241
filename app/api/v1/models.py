"""Model versions, their cards and evaluations."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, public, route
from app.api.v1.resources import Resource, command
from app.auth.guard import current_principal
from app.auth.roles import READERS, REGISTRARS
from app.models.model_versions import (
    EvaluationPublic,
    ModelCardPublic,
    ModelVersion,
    ModelVersionPublic,
)
from app.models.vocabulary import Domain, RiskTier
from app.registry import model_versions as service
from app.registry.records import get_record
from app.registry.schemas import (
    ModelCardUpdate,
)

bp = Blueprint("api_models", __name__, url_prefix="/api/v1/models")


class ModelListQuery(ListQuery):
    """Filters for model versions."""

    name: str | None = None
    domain: Domain | None = None
    risk_tier: RiskTier | None = None


class ModelReference(BaseModel):
    """How a pipeline names a model version."""

    model_config = ConfigDict(extra="forbid")

    ref: str = Field(
        min_length=1,
        max_length=400,
        description="A model version id, ``name@version``, or a name with exactly one version.",
    )


class ModelVersionDetail(ModelVersionPublic):
    """A model version with its card and the card sections still missing."""

    card: ModelCardPublic | None
    missing_card_sections: list[str]


class EvaluationList(BaseModel):
    """A model version's evaluations."""

    items: list[EvaluationPublic]


def _model_body(session: Session, model: ModelVersion | int) -> ModelVersionDetail:
    """A model version (or the one with this id) with its card."""
    if isinstance(model, int):
        model = get_record(session=session, model=ModelVersion, record_id=model)
    card = service.card_of(session=session, model_id=model.id or 0)
    return public(
        ModelVersionDetail,
        model,
        card=public(ModelCardPublic, card) if card else None,
        missing_card_sections=service.missing_card_sections(card),
    )


models = Resource(bp, ModelVersion, "model_id", ModelVersionDetail, REGISTRARS, body=_model_body)
models.listing(ModelListQuery, ModelVersionPublic, "List model versions.")
models.create(service.create_model_version, "Register a model version.")
models.get("One model version with its card.")
models.update(service.update_model_version, "Change a model version's governance fields.")


@route(bp, "GET", "/named", READERS, answer=ModelVersionDetail, refusals=(404,))
def model_named(session: Session, query: ModelReference) -> Answer:
    """The model version a reference names (``gatehouse promote`` and ``audit schedule``
    read it so): a name with several versions is refused, never resolved to one the caller
    did not choose."""
    return _model_body(session, service.model_version_id_named(session=session, model=query.ref))


@route(bp, "PUT", "/<int:model_id>/card", REGISTRARS, answer=ModelVersionDetail)
def set_card(session: Session, model_id: int, json: ModelCardUpdate) -> Answer:
    """Set sections of the model card."""
    actor = current_principal().username
    service.set_model_card(session=session, model_id=model_id, data=json, actor=actor)
    return _model_body(session, model_id)


@route(bp, "GET", "/<int:model_id>/evaluations", READERS, answer=EvaluationList)
def list_evaluations(session: Session, model_id: int) -> Answer:
    """A model version's evaluations, superseded ones included (with who, when and why)."""
    get_record(session=session, model=ModelVersion, record_id=model_id)
    evaluations = service.evaluations_of(
        session=session, model_id=model_id, include_superseded=True
    )
    return EvaluationList(items=[public(EvaluationPublic, e) for e in evaluations])


command(
    bp,
    "POST",
    "/<int:model_id>/evaluations",
    REGISTRARS,
    service.add_evaluation,
    answer=EvaluationPublic,
    status=201,
    summary="Record a benchmark or red-team result.",
)
