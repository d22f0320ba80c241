"""The launcher registry: one :func:`register_launcher` call per kind of launcher.

``GATEHOUSE_LAUNCHER`` names a registered kind; :func:`build_launcher` builds it once
per application from the settings. The built-in kinds import their client libraries
only when built, so an installation that launches locally never loads the Kubernetes
client. A new launcher is a module with a class that satisfies
:class:`~app.launch.launcher.Launcher` and one line here (or, in a test or an
extension, one call to :func:`register_launcher`).
"""

from __future__ import annotations

from collections.abc import Callable

from app.config import Settings
from app.launch.errors import LauncherError
from app.launch.launcher import Launcher

__all__ = ["LauncherFactory", "build_launcher", "launcher_kinds", "register_launcher"]

#: Builds a launcher from the installation's settings.
LauncherFactory = Callable[[Settings], Launcher]

_FACTORIES: dict[str, LauncherFactory] = {}


def register_launcher(kind: str, factory: LauncherFactory) -> None:
    """Make ``kind`` a valid ``GATEHOUSE_LAUNCHER``; a kind is registered once."""
    if kind in _FACTORIES and _FACTORIES[kind] is not factory:
        raise ValueError(f"launcher {kind!r} is already registered")
    _FACTORIES[kind] = factory


def unregister_launcher(kind: str) -> None:
    """Forget a launcher kind (tests that register a fixture launcher clean up with this)."""
    _FACTORIES.pop(kind, None)


def launcher_kinds() -> tuple[str, ...]:
    """Every registered kind, sorted."""
    return tuple(sorted(_FACTORIES))


def build_launcher(settings: Settings) -> Launcher:
    """The launcher ``settings.launcher`` names (an unknown name is refused with the list)."""
    factory = _FACTORIES.get(settings.launcher)
    if factory is None:
        raise LauncherError(
            f"unknown launcher '{settings.launcher}'; use {' or '.join(launcher_kinds())}"
        )
    return factory(settings)


def _local(settings: Settings) -> Launcher:
    """Training as a subprocess on this machine (the embedded default and the demo)."""
    from app.launch.local import LocalLauncher

    return LocalLauncher(settings.storage_dir / "runs")


def _kubernetes(settings: Settings) -> Launcher:
    """Training as a ``batch/v1`` Job on the cluster's GPU pool."""
    from app.launch.kubernetes import KubernetesLauncher
    from app.launch.kubernetes_manifest import KubernetesOptions
    from app.launch.recipes import load_recipes

    return KubernetesLauncher(
        KubernetesOptions(
            namespace=settings.kubernetes_namespace,
            image=settings.training_image,
            priority_class=settings.kubernetes_priority_class,
            queue_name=settings.kubernetes_queue,
            service_account=settings.kubernetes_training_service_account,
            kubeconfig=settings.kubernetes_kubeconfig,
            recipes=load_recipes(settings.recipes_dir) if settings.recipes_dir else (),
        )
    )


register_launcher("local", _local)
register_launcher("kubernetes", _kubernetes)
