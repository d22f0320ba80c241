"""Errors of the launch subsystem."""

from __future__ import annotations

from app.errors import ConflictError, GatehouseError

__all__ = ["JobOwnershipError", "LaunchRefusedError", "LauncherError"]


class LauncherError(GatehouseError, status=502, title="Launcher failed"):
    """The launcher (subprocess or Kubernetes API) failed; the run fails closed."""


class JobOwnershipError(LauncherError, status=409, title="Launch refused"):
    """The launch's Job name is taken by a Job this launch did not create; nothing changed."""


class LaunchRefusedError(ConflictError, title="Launch refused"):
    """The run may not launch: wrong state, gate denied, or evidence changed."""
