"""Portal login and logout."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.auth.guard import allow, current_principal, public
from app.auth.login import attempt_login, end_sessions
from app.auth.login_throttle import WINDOW_MINUTES, LoginThrottle
from app.auth.roles import READERS
from app.db import unit_of_work
from app.ledger import append_event
from app.models.vocabulary import LedgerSubject

bp = Blueprint("web_auth", __name__)


@bp.record_once
def _start_counting_failed_logins(state: BlueprintSetupState) -> None:
    settings = state.app.config["GATEHOUSE"]
    state.app.extensions["gatehouse.login_throttle"] = LoginThrottle(
        settings.login_failures_per_address
    )


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """An empty form, so logging out carries a CSRF token."""


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect).

    Browsers read a backslash as a slash and drop tabs and line breaks inside a URL, so
    ``/\\evil.example`` is ``//evil.example`` to them: a target holding either is refused.
    """
    if not target or "\\" in target or any(c.isspace() or not c.isprintable() for c in target):
        return url_for("web_registry.dashboard")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web_registry.dashboard")
    return target


def _cookie_will_be_dropped() -> bool:
    """Whether a browser will not keep this page's Secure session cookie: the page came
    over plain HTTP (and no proxy in front says it was HTTPS) from an address that is not
    the browser's own machine. Only a warning on the page depends on it, so a proxy's
    header is believed here as nowhere else."""
    if not current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure:
        return False
    if request.headers.get("X-Forwarded-Proto", "").lower() == "https":
        return False
    host = urlparse(request.host_url).hostname or ""
    return host not in ("localhost", "127.0.0.1", "::1") and not host.endswith(".localhost")


def _login_page(form: LoginForm, status: int = 200) -> Any:
    return render_template(
        "web/login.html", form=form, cookie_dropped=_cookie_will_be_dropped()
    ), status


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """Show the login form and start a session on correct credentials."""
    form = LoginForm()
    if form.validate_on_submit():
        throttle: LoginThrottle = current_app.extensions["gatehouse.login_throttle"]
        address = request.remote_addr or ""
        if throttle.refuses(address):
            flash(
                f"too many failed logins from this address: try again within {WINDOW_MINUTES} "
                "minutes",
                "error",
            )
            return _login_page(form, 429)
        with unit_of_work() as db:
            outcome = attempt_login(
                session=db, username=form.username.data or "", password=form.password.data or ""
            )
            if outcome.principal is not None:
                append_event(
                    session=db,
                    actor=outcome.principal.username,
                    action="user.logged_in",
                    subject_type=LedgerSubject.USER_ACCOUNT,
                    subject_id=outcome.principal.username,
                )
        if outcome.principal is None:
            throttle.count_failure(address)
            flash(outcome.refusal or "", "error")
            return _login_page(form, 401)
        session.clear()
        session["username"] = outcome.principal.username
        session["epoch"] = outcome.session_epoch
        return redirect(_safe_next(request.args.get("next")))
    return _login_page(form)


@bp.post("/logout")
@allow(*READERS)
def logout() -> Any:
    """End this session and every other session of the account (a copied cookie too)."""
    form = LogoutForm()
    if form.validate_on_submit():
        with unit_of_work() as db:
            end_sessions(session=db, username=current_principal().username)
        session.clear()
    return redirect(url_for("web_auth.login"))
