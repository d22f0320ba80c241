"""Portal page for admins: every account with its state and roles, and deactivating or
reactivating one, so offboarding needs no shell. The rules are the service's
(:mod:`app.auth.account_changes`): ledgered with the admin's name, sessions ended, the
last active admin kept; a refusal comes back as a message on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.auth.account_changes import account_summaries, deactivate_user, reactivate_user
from app.auth.guard import allow, current_principal
from app.auth.roles import ADMINS
from app.db import read_only_unit_of_work, unit_of_work
from app.errors import GatehouseError
from app.web.pages import flash_form_errors

bp = Blueprint("web_accounts", __name__)


class DeactivateForm(FlaskForm):
    """Why the account is turned off (ledgered with it)."""

    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])


class ReactivateForm(FlaskForm):
    """An empty form, so reactivating carries a CSRF token."""


@bp.get("/accounts")
@allow(*ADMINS)
def accounts() -> Any:
    """Every account: state, roles, live tokens, and the action each allows."""
    with read_only_unit_of_work() as session:
        rows = account_summaries(session=session)
    return render_template(
        "web/accounts.html",
        accounts=rows,
        deactivate=DeactivateForm(),
        reactivate=ReactivateForm(),
    )


def _change(form: FlaskForm, change: Callable[[Session, str], object], done: str) -> Any:
    """Validate ``form``, run ``change(session, admin)`` as the signed-in admin, and say
    what happened (or why not) on the accounts page."""
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        try:
            with unit_of_work() as session:
                change(session, current_principal().username)
        except GatehouseError as error:
            flash(str(error), "error")
        else:
            flash(done, "ok")
    return redirect(url_for("web_accounts.accounts"))


@bp.post("/accounts/<username>/deactivate")
@allow(*ADMINS)
def deactivate(username: str) -> Any:
    """Turn an account off: its sessions end and its tokens are refused at once."""
    form = DeactivateForm()
    return _change(
        form,
        lambda session, admin: deactivate_user(
            session=session, username=username, reason=form.reason.data or "", actor=admin
        ),
        f"{username} deactivated: sessions ended, tokens refused",
    )


@bp.post("/accounts/<username>/reactivate")
@allow(*ADMINS)
def reactivate(username: str) -> Any:
    """Turn an account on again (its unexpired tokens work again)."""
    return _change(
        ReactivateForm(),
        lambda session, admin: reactivate_user(session=session, username=username, actor=admin),
        f"{username} reactivated",
    )
