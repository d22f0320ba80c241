"""Portal: see a subject's attested facts and attest one (model risk, compliance officers).

Every detail page of a run, model version or dataset version shows the facts in force,
their history and, for people who may attest, a form. A refusal (not the fact's owner,
not independent of the subject, a malformed value) comes back as a flash with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.attestations.current import attestation_history
from app.attestations.facts import FACTS, typed_value
from app.attestations.service import attest
from app.auth.guard import allow, current_principal
from app.auth.roles import ATTESTERS
from app.db import unit_of_work
from app.errors import GatehouseError
from app.models.attestations import Attestation
from app.models.base import utc_now
from app.web.pages import holds

bp = Blueprint("web_attestations", __name__)


class AttestationForm(FlaskForm):
    """One fact about the subject, with its evidence."""

    subject_type = HiddenField(validators=[DataRequired()])
    subject_id = HiddenField(validators=[DataRequired()])
    back = HiddenField()
    fact = SelectField("Fact", validators=[DataRequired()])
    value = StringField(
        'Value (text, or JSON such as true, ["DE"] or {"ref": "…", "outcome": "approved"})',
        validators=[DataRequired(), Length(max=2000)],
    )
    evidence_ref = StringField("Evidence reference", validators=[DataRequired(), Length(max=500)])
    evidence_sha256 = StringField("Evidence file SHA-256 (optional)", validators=[Optional()])
    justification = TextAreaField("Justification", validators=[DataRequired(), Length(max=2000)])
    expires_at = DateTimeLocalField(
        "Expires (UTC, optional)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )


@dataclass(frozen=True)
class Panel:
    """What the attestation panel of one subject shows."""

    subject_type: str
    subject_id: int
    current: dict[str, Attestation]
    history: list[tuple[Attestation, bool]]
    facts: list[tuple[str, str, str]]
    form: AttestationForm | None


@bp.app_template_global("attestation_panel_data")
def attestation_panel_data(subject_type: str, subject_id: int) -> Panel:
    """The panel of a subject: facts in force, history, and a form for attesters."""
    now = utc_now()
    with unit_of_work() as session:
        history = attestation_history(
            session=session, subject_type=subject_type, subject_id=subject_id, now=now
        )
    current = {item.fact: item for item, in_force in history if in_force}
    facts = [
        (name, spec.owner, spec.description)
        for name, spec in FACTS.items()
        if spec.subject_type == subject_type
    ]
    form = None
    if holds(ATTESTERS):
        form = AttestationForm(subject_type=subject_type, subject_id=str(subject_id))
        form.fact.choices = [(name, f"{name} ({owner})") for name, owner, _ in facts]
    return Panel(subject_type, subject_id, current, history, facts, form)


@bp.post("/attestations")
@allow(*ATTESTERS)
def record() -> Any:
    """Attest a fact; a refusal is flashed with its reason."""
    form = AttestationForm()
    form.fact.choices = [(name, name) for name in FACTS]
    back = form.back.data or request.referrer or url_for("web_registry.dashboard")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("web_registry.dashboard")
    if not form.validate_on_submit():
        flash(
            "an attestation needs a fact, a value, an evidence reference and a justification",
            "error",
        )
        return redirect(back)
    try:
        with unit_of_work() as session:
            recorded = attest(
                session=session,
                subject_type=form.subject_type.data or "",
                subject_id=int(form.subject_id.data or 0),
                fact=form.fact.data or "",
                value=typed_value(form.value.data or ""),
                evidence_ref=form.evidence_ref.data or "",
                evidence_sha256=(form.evidence_sha256.data or "").strip().lower() or None,
                justification=form.justification.data or "",
                expires_at=form.expires_at.data,
                actor=current_principal().username,
            )
            voided = recorded.voided_requests
    except (GatehouseError, ValueError) as error:
        flash(f"attestation refused: {error}", "error")
    else:
        message = f"{form.fact.data} attested and recorded in the ledger"
        if voided:
            message += (
                f"; approval request(s) {', '.join(map(str, voided))} voided (evidence changed)"
            )
        flash(message, "ok")
    return redirect(back)
