"""Portal pages for approvals: the reviewer's inbox, a request with its evidence, votes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.approvals import queries, service
from app.auth.guard import allow, current_principal
from app.auth.roles import APPROVERS, READERS
from app.db import unit_of_work
from app.errors import GatehouseError
from app.gates.engine_binding import current_policy_engine
from app.models.governance import ApprovalRequest
from app.web.pages import after_cursor, catalogue_by_id, flash_form_errors

bp = Blueprint("web_approvals", __name__)

#: Requests waiting for my vote listed on the page (oldest first; the API lists them all).
MINE_SHOWN = 50


class VoteForm(FlaskForm):
    """Approve or reject with a comment (required to reject), for one of my roles."""

    decision = RadioField(
        "Decision",
        choices=[SelectChoice("approve", "Approve"), SelectChoice("reject", "Reject")],
        validators=[DataRequired()],
    )
    role = SelectField("Counts for role", validators=[DataRequired()])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=4000)])


@bp.get("/approvals")
@allow(*READERS)
def inbox() -> Any:
    """Requests waiting for my vote, a page of open requests, the recently closed."""
    username = current_principal().username
    with unit_of_work() as session:
        mine = queries.pending_for(session=session, username=username, limit=MINE_SHOWN + 1)
        listed = queries.inbox(session=session, before=after_cursor("before"))
    return render_template(
        "web/approvals.html",
        mine=mine[:MINE_SHOWN],
        more_mine=len(mine) > MINE_SHOWN,
        open_requests=listed.open_requests,
        older_than=listed.older_than,
        recent=listed.recent,
    )


def _form_for(request: ApprovalRequest) -> VoteForm | None:
    """The vote form when the current user may vote on ``request``, else None."""
    roles = queries.eligible_roles(request, frozenset(current_principal().roles))
    if request.status != "pending" or not roles:
        return None
    form = VoteForm()
    form.role.choices = [SelectChoice(role, role) for role in roles]
    return form


def _detail_page(request_id: int, *, form: VoteForm | None = None, status: int = 200) -> Any:
    with unit_of_work() as session:
        details = queries.approval_details(session=session, request_id=request_id)
    username = current_principal().username
    page = render_template(
        "web/approvals_detail.html",
        details=details,
        catalogue=catalogue_by_id(),
        awaiting_approvals={
            d.id for d in details.decisions if service.blocked_only_by_approvals(d) and not d.allow
        },
        form=form or _form_for(details.request),
        excluded=username in details.request.excluded_approvers,
        voted=any(v.voter == username for v in details.votes),
    )
    return page, status


@bp.get("/approvals/<int:request_id>")
@allow(*READERS)
def detail(request_id: int) -> Any:
    """A request: what the gate saw (controls, citations, violations), votes, the vote form."""
    return _detail_page(request_id)


@bp.post("/approvals/<int:request_id>/vote")
@allow(*APPROVERS)
def cast_vote(request_id: int) -> Any:
    """Record my vote; refusals (separation of duties, closed request) are shown with their reason."""
    with unit_of_work() as session:
        request = queries.approval_details(session=session, request_id=request_id).request
    form = _form_for(request)
    if form is None:
        flash(f"approval request {request_id} takes no vote from you", "error")
        return _detail_page(request_id, status=403 if request.status == "pending" else 409)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _detail_page(request_id, form=form, status=400)
    try:
        with unit_of_work() as session:
            outcome = service.vote(
                session=session,
                engine=current_policy_engine(),
                request_id=request_id,
                voter=current_principal().username,
                role=form.role.data or "",
                decision=form.decision.data or "",
                comment=form.comment.data or "",
            )
    except GatehouseError as error:
        flash(str(error), "error")
        return _detail_page(request_id, form=form, status=error.status)
    if outcome.refusal is not None:
        flash(f"vote not counted: {outcome.refusal}", "error")
        return _detail_page(request_id, status=409)
    flash(f"vote recorded; request is {outcome.request.status}", "ok")
    return redirect(url_for("web_approvals.detail", request_id=request_id))
