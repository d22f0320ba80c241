"""What the portal's pages share: the list cursor from the query string, a form's
errors shown as one message, and the control catalogue pages explain decisions with."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, flash, g, request
from flask_wtf import FlaskForm

from app.auth import roles
from app.policy.catalogue import Control, load_catalogue


def after_cursor(name: str = "after") -> int | None:
    """The keyset cursor of a list page (``?after=<id>``, or the ``name`` given, such as
    ``before`` on lists that run newest first); anything else starts at the top."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def flash_form_errors(form: FlaskForm) -> None:
    """Every invalid field of ``form`` with its reasons, in one error message."""
    flash(
        "; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()),
        "error",
    )


def policy_catalogue() -> list[Control]:
    """The controls of the policies this instance gates with (read from METADATA).

    Read once per application: the engine compiled the same policies when it started,
    and parsing every module's METADATA costs more than the rest of a page."""
    cached: list[Control] | None = current_app.extensions.get("gatehouse.catalogue")
    if cached is None:
        cached = load_catalogue(policy_dir=current_app.config["GATEHOUSE"].policy_dir)
        current_app.extensions["gatehouse.catalogue"] = cached
    return cached


def catalogue_by_id() -> dict[str, Control]:
    """The same controls by id, for pages that explain a decision's outcomes."""
    return {control.id: control for control in policy_catalogue()}


def holds(group: Iterable[str]) -> bool:
    """Whether the signed-in person holds a role of ``group`` (a tuple of
    :mod:`app.auth.roles`): pages offer an action only then. The route's own role
    declaration is what enforces it."""
    principal = g.get("principal")
    return principal is not None and bool(principal.roles & set(group))


def may(group: str) -> bool:
    """:func:`holds` for templates, which name the group (``"REGISTRARS"``)."""
    allowed: tuple[str, ...] = getattr(roles, group)
    return holds(allowed)
