"""What the portal's pages share: the list cursor from the query string, and a form's
errors shown as one message."""

from __future__ import annotations

from flask import flash, request
from flask_wtf import FlaskForm


def after_cursor() -> int | None:
    """The keyset cursor of a list page (``?after=<id>``); anything else starts at the top."""
    value = request.args.get("after", "")
    return int(value) if value.isdigit() else None


def flash_form_errors(form: FlaskForm) -> None:
    """Every invalid field of ``form`` with its reasons, in one error message."""
    flash(
        "; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()),
        "error",
    )
