"""Flask extensions, created once at import and bound to each application in ``create_app``."""

from __future__ import annotations

from flask_wtf import CSRFProtect

__all__ = ["csrf"]

#: CSRF protection of every portal form (the API, which uses bearer tokens, is exempt).
csrf = CSRFProtect()
