"""Portal forms for data stewards: confirm or override a classification, record erasures.

Both change evidence the gates read, so both are ledgered with the officer's name and a
justification, and an override of the scan's classification cannot be made without one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.auth.guard import allow, current_principal
from app.auth.roles import DATA_STEWARDS
from app.db import unit_of_work
from app.errors import GatehouseError
from app.models.datasets import DatasetVersion
from app.registry import datasets as service
from app.registry.records import get_record
from app.registry.schemas import DatasetVersionMetadata

bp = Blueprint("web_stewardship", __name__)


class ClassificationForm(FlaskForm):
    """The three classification flags and why they are set this way."""

    contains_pii = BooleanField("Contains personal data (PII)")
    contains_phi = BooleanField("Contains protected health information (PHI)")
    special_category = BooleanField("Special-category data (GDPR Art. 9)")
    justification = TextAreaField("Justification", validators=[DataRequired(), Length(max=2000)])


class ErasureForm(FlaskForm):
    """A data subject's erasure request, by reference (never the person's data)."""

    reference = StringField("Request reference", validators=[DataRequired(), Length(max=200)])


def _back(version_id: int, dataset_id: int) -> Any:
    return redirect(
        url_for("web_registry.dataset_detail", dataset_id=dataset_id) + f"#version-{version_id}"
    )


def _dataset_of(version_id: int) -> int:
    with unit_of_work() as session:
        return get_record(session=session, model=DatasetVersion, record_id=version_id).dataset_id


@bp.post("/datasets/versions/<int:version_id>/classification")
@allow(*DATA_STEWARDS)
def classify(version_id: int) -> Any:
    """Confirm or override the classification of a dataset version."""
    dataset_id = _dataset_of(version_id)
    form = ClassificationForm()
    if not form.validate_on_submit():
        flash("a justification is required to change a classification", "error")
        return _back(version_id, dataset_id)
    change = DatasetVersionMetadata(
        contains_pii=form.contains_pii.data,
        contains_phi=form.contains_phi.data,
        special_category=form.special_category.data,
    )
    try:
        with unit_of_work() as session:
            service.update_version_metadata(
                session=session,
                version_id=version_id,
                data=change,
                actor=current_principal().username,
                justification=form.justification.data or "",
            )
    except GatehouseError as error:
        flash(str(error), "error")
    else:
        flash("classification recorded in the ledger", "ok")
    return _back(version_id, dataset_id)


@bp.post("/datasets/versions/<int:version_id>/erasure-requests")
@allow(*DATA_STEWARDS)
def record_erasure(version_id: int) -> Any:
    """Record an erasure request against a dataset version."""
    dataset_id = _dataset_of(version_id)
    form = ErasureForm()
    if form.validate_on_submit():
        with unit_of_work() as session:
            service.record_erasure_request(
                session=session,
                version_id=version_id,
                reference=form.reference.data or "",
                actor=current_principal().username,
            )
        flash(
            "erasure request recorded; training on this version is blocked until it is resolved",
            "ok",
        )
    else:
        flash("give the erasure request's reference", "error")
    return _back(version_id, dataset_id)
