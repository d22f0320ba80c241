"""Portal actions on runs: register a draft, submit it to the gate, ask the gate again, and
answer a denial.

Each action is one service call; the run page offers the ones the viewer may take (the
route's role declaration is what enforces it). Refusals come back as a flash with the
service's reason, on the page the action started from.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.approvals.flows import RUN_FLOW
from app.auth.guard import allow, current_principal
from app.auth.roles import GATE_CALLERS, REGISTRARS
from app.db import unit_of_work
from app.errors import GatehouseError
from app.gate_requests import request_approval_as_caller
from app.gates.answers import MAX_ANSWER_CHARS, answer_denial
from app.gates.engine_binding import current_policy_engine
from app.gates.service import evaluate_gate
from app.models.vocabulary import GateName, Hosting, Platform
from app.registry import runs as run_service
from app.registry.connections import dataset_version_choices
from app.registry.schemas import RunCreate
from app.web.pages import flash_form_errors

bp = Blueprint("web_runs", __name__)

_METHODS = ("sft", "lora", "qlora", "rlhf", "dpo", "constitutional")


class NewRunForm(FlaskForm):
    """What a requester declares about a new run (the governance facts are attested later)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    base_model = StringField("Base model", validators=[DataRequired(), Length(max=200)])
    platform = SelectField("Platform", choices=[SelectChoice(p.value, p.value) for p in Platform])
    method = SelectField("Method", choices=[SelectChoice(m, m) for m in _METHODS])
    hosting = SelectField(
        "Declared hosting",
        choices=[SelectChoice("", "not declared"), *(SelectChoice(h, h) for h in Hosting)],
        validators=[Optional()],
    )
    vendor = StringField("Vendor", validators=[Optional(), Length(max=100)])
    training_region = StringField("Training region", validators=[Optional(), Length(max=40)])
    dataset_versions = SelectMultipleField("Dataset versions", coerce=int)


class ActionForm(FlaskForm):
    """A button: only the CSRF token travels."""


class AnswerForm(FlaskForm):
    """An answer to a denial, in words."""

    text = TextAreaField("Your answer", validators=[DataRequired(), Length(max=MAX_ANSWER_CHARS)])


def _new_run_form() -> NewRunForm:
    form = NewRunForm()
    with unit_of_work() as session:
        form.dataset_versions.choices = dataset_version_choices(session=session)
    return form


@bp.get("/runs/new")
@allow(*REGISTRARS)
def new_run() -> Any:
    """The form for a new draft run."""
    return render_template("web/run_new.html", form=_new_run_form())


@bp.post("/runs/new")
@allow(*REGISTRARS)
def create_run() -> Any:
    """Register the draft run; it goes to the gate when its requester submits it."""
    form = _new_run_form()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return render_template("web/run_new.html", form=form), 400
    try:
        data = RunCreate.model_validate(
            {
                "name": form.name.data,
                "base_model": form.base_model.data,
                "platform": form.platform.data,
                "method": form.method.data,
                "hosting": form.hosting.data or None,
                "vendor": form.vendor.data or None,
                "training_region": form.training_region.data or None,
                "dataset_version_ids": list(form.dataset_versions.data or []),
            }
        )
        with unit_of_work() as session:
            run = run_service.create_run(
                session=session, data=data, actor=current_principal().username
            )
    except (GatehouseError, ValueError) as error:
        flash(f"run not registered: {error}", "error")
        return render_template("web/run_new.html", form=form), getattr(error, "status", 422)
    flash(f"draft run {run.name} registered; submit it to the gate when it is ready", "ok")
    return redirect(url_for("web_registry.run_detail", run_id=run.id))


@bp.post("/runs/<int:run_id>/submit")
@allow(*GATE_CALLERS)
def submit(run_id: int) -> Any:
    """Submit a draft run: the training_launch gate decides whether approval may start."""
    if ActionForm().validate_on_submit():
        try:
            with unit_of_work() as session:
                outcome = request_approval_as_caller(
                    session=session, flow=RUN_FLOW, subject_id=run_id
                )
        except GatehouseError as error:
            flash(f"not submitted: {error}", "error")
        else:
            if outcome.request is None:
                flash(
                    f"the training_launch gate denied the run (decision {outcome.decision.id}); "
                    "it stays a draft",
                    "error",
                )
            else:
                flash(
                    f"submitted: approval request {outcome.request.id} is {outcome.request.status}",
                    "ok",
                )
    return redirect(url_for("web_registry.run_detail", run_id=run_id))


@bp.post("/runs/<int:run_id>/gate")
@allow(*GATE_CALLERS)
def ask_gate(run_id: int) -> Any:
    """Ask training_launch about the run now (stored and ledgered; the run does not move)."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("web_registry.run_detail", run_id=run_id))
    try:
        with unit_of_work() as session:
            decision = evaluate_gate(
                session=session,
                engine=current_policy_engine(),
                gate=GateName.TRAINING_LAUNCH,
                subject_id=run_id,
                actor=current_principal().username,
            )
    except GatehouseError as error:
        flash(f"the gate was not asked: {error}", "error")
        return redirect(url_for("web_registry.run_detail", run_id=run_id))
    flash(f"the training_launch gate answered (decision {decision.id})", "ok")
    return redirect(url_for("web_decisions.decision_detail", decision_id=decision.id))


@bp.post("/decisions/<int:decision_id>/answers")
@allow(*REGISTRARS)
def answer(decision_id: int) -> Any:
    """Answer a denial of my run; the answer is ledgered and shown to the reviewers."""
    form = AnswerForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        try:
            with unit_of_work() as session:
                answer_denial(
                    session=session,
                    decision_id=decision_id,
                    actor=current_principal().username,
                    text=form.text.data or "",
                )
        except GatehouseError as error:
            flash(f"answer not recorded: {error}", "error")
        else:
            flash("answer recorded in the ledger", "ok")
    return redirect(url_for("web_decisions.decision_detail", decision_id=decision_id))
