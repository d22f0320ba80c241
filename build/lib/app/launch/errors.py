"""Errors of the launch subsystem."""

from __future__ import annotations

from app.errors import ConflictError, GatehouseError

__all__ = ["JobOwnershipError", "LaunchRefusedError", "LauncherError"]


class LauncherError(GatehouseError):
    """The launcher (subprocess or Kubernetes API) failed; the run fails closed."""

    status = 502
    title = "Launcher failed"


class JobOwnershipError(LauncherError):
    """The launch's Job name is taken by a Job this launch did not create; nothing changed."""

    status = 409
    title = "Launch refused"


class LaunchRefusedError(ConflictError):
    """The run may not launch: wrong state, gate denied, or evidence changed."""

    title = "Launch refused"
