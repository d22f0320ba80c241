"""Model versions, their cards and evaluations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel

from app.api.v1.common import (
    ListQuery,
    body,
    created,
    list_response,
    page_of,
    public,
    responses,
)
from app.api.v1.spec import spec
from app.auth.guard import allow, current_principal
from app.auth.roles import READERS, REGISTRARS
from app.db import unit_of_work
from app.models.model_versions import (
    EvaluationPublic,
    ModelCardPublic,
    ModelVersion,
    ModelVersionPublic,
)
from app.registry import model_versions as service
from app.registry.records import get_record
from app.registry.schemas import (
    EvaluationCreate,
    ModelCardUpdate,
    ModelVersionCreate,
    ModelVersionUpdate,
)

bp = Blueprint("api_models", __name__, url_prefix="/api/v1/models")
TAG = "models"


class ModelListQuery(ListQuery):
    """Filters for model versions."""

    name: str | None = None
    domain: str | None = None
    risk_tier: str | None = None


class ModelVersionDetail(ModelVersionPublic):
    """A model version with its card and the card sections still missing."""

    card: ModelCardPublic | None
    missing_card_sections: list[str]


class EvaluationList(BaseModel):
    """A model version's evaluations."""

    items: list[EvaluationPublic]


def _model_body(session: Any, model: ModelVersion) -> dict[str, Any]:
    card = service.card_of(session=session, model_id=model.id or 0)
    return body(
        public(
            ModelVersionDetail,
            model,
            card=public(ModelCardPublic, card) if card else None,
            missing_card_sections=service.missing_card_sections(card),
        )
    )


@bp.get("")
@allow(*READERS, scope="read")
@spec.validate(query=ModelListQuery, resp=responses(page_of(ModelVersionPublic)), tags=[TAG])
def list_models(query: ModelListQuery) -> Any:
    """List model versions."""
    return list_response(ModelVersion, ModelVersionPublic, query)


@bp.post("")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=ModelVersionCreate, resp=responses(created=ModelVersionDetail), tags=[TAG])
def create_model(json: ModelVersionCreate) -> Any:
    """Register a model version."""
    with unit_of_work() as session:
        model = service.create_model_version(
            session=session, data=json, actor=current_principal().username
        )
        return created(_model_body(session, model))


@bp.get("/<int:model_id>")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(ModelVersionDetail), tags=[TAG])
def get_model(model_id: int) -> Any:
    """One model version with its card."""
    with unit_of_work() as session:
        return jsonify(
            _model_body(
                session, get_record(session=session, model=ModelVersion, record_id=model_id)
            )
        )


@bp.patch("/<int:model_id>")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=ModelVersionUpdate, resp=responses(ModelVersionDetail), tags=[TAG])
def update_model(model_id: int, json: ModelVersionUpdate) -> Any:
    """Change a model version's governance fields."""
    with unit_of_work() as session:
        model = service.update_model_version(
            session=session, model_id=model_id, data=json, actor=current_principal().username
        )
        return jsonify(_model_body(session, model))


@bp.put("/<int:model_id>/card")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=ModelCardUpdate, resp=responses(ModelVersionDetail), tags=[TAG])
def set_card(model_id: int, json: ModelCardUpdate) -> Any:
    """Set sections of the model card."""
    with unit_of_work() as session:
        service.set_model_card(
            session=session, model_id=model_id, data=json, actor=current_principal().username
        )
        return jsonify(
            _model_body(
                session, get_record(session=session, model=ModelVersion, record_id=model_id)
            )
        )


@bp.get("/<int:model_id>/evaluations")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(EvaluationList), tags=[TAG])
def list_evaluations(model_id: int) -> Any:
    """A model version's evaluations."""
    with unit_of_work() as session:
        get_record(session=session, model=ModelVersion, record_id=model_id)
        evaluations = service.evaluations_of(session=session, model_id=model_id)
        return jsonify(
            body(EvaluationList(items=[public(EvaluationPublic, e) for e in evaluations]))
        )


@bp.post("/<int:model_id>/evaluations")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=EvaluationCreate, resp=responses(created=EvaluationPublic), tags=[TAG])
def add_evaluation(model_id: int, json: EvaluationCreate) -> Any:
    """Record a benchmark or red-team result."""
    with unit_of_work() as session:
        evaluation = service.add_evaluation(
            session=session, model_id=model_id, data=json, actor=current_principal().username
        )
        return created(body(public(EvaluationPublic, evaluation)))
