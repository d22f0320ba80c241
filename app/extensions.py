"""Flask extensions, created once at import and bound to each application in ``create_app``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from flask import Flask, current_app
from flask_wtf import CSRFProtect

if TYPE_CHECKING:
    from app.config import Settings

__all__ = ["SettingsBinding", "csrf"]

T = TypeVar("T")

#: CSRF protection of every portal form (the API, which uses bearer tokens, is exempt).
csrf = CSRFProtect()


class SettingsBinding(Generic[T]):
    """One object per application, built from its settings when the application starts
    (the policy engine, the launcher) and read back by the code serving a request."""

    def __init__(self, key: str, build: Callable[[Settings], T]) -> None:
        self._key = key
        self._build = build

    def init_app(self, app: Flask) -> None:
        """Build the object once for ``app``; a setting it cannot use fails the start."""
        app.extensions[self._key] = self._build(app.config["GATEHOUSE"])

    def current(self) -> T:
        """The object of the running application."""
        bound: T = current_app.extensions[self._key]
        return bound
