"""What every ``gatehouse`` command shares: lazy loading, the application, one-line errors.

Start-up time matters to pipelines that call ``gatehouse`` many times a build, so this
module imports only ``click``: an area's module is imported when one of its commands
runs (or its ``--help`` is asked), and the Flask application is built only inside a
command that needs it (:func:`with_app_context`).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

__all__ = [
    "EXISTING_FILE",
    "EXIT_ENGINE_FAILURE",
    "OUTPUT_FILE",
    "Area",
    "GatehouseGroup",
    "shell_actor",
    "trust_option",
    "trust_roots",
    "with_app_context",
]

#: Exit status when the policy engine or the database cannot answer (fail closed).
EXIT_ENGINE_FAILURE = 3

#: A file argument that must exist (not a folder), given to the command as a ``Path``.
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
#: A file the command writes (not a folder; writable when it exists), as a ``Path``.
OUTPUT_FILE = click.Path(dir_okay=False, writable=True, path_type=Path)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Area:
    """One top-level command (or command group), registered by where it lives."""

    name: str
    """The word after ``gatehouse``."""
    target: str
    """``module:attribute`` of the click command, imported when the command is used."""
    help: str
    """The one line ``gatehouse --help`` prints (a test holds it equal to the command's)."""

    def load(self) -> click.Command:
        """Import the command; an import error is raised, never skipped."""
        module_name, attribute = self.target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class GatehouseGroup(click.Group):
    """The root group: loads areas on demand and turns failures into one readable line.

    Gatehouse errors exit 1 with their message; a database outage exits
    :data:`EXIT_ENGINE_FAILURE` saying nothing was changed; anything else exits 1 without
    a traceback unless ``GATEHOUSE_DEBUG=1``.
    """

    def __init__(self, *args: Any, areas: Sequence[Area] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.areas: Mapping[str, Area] = {area.name: area for area in areas}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every area's name, sorted."""
        return sorted({*super().list_commands(ctx), *self.areas})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the area's module the first time its command is asked for."""
        area = self.areas.get(cmd_name)
        if area is not None and cmd_name not in self.commands:
            self.add_command(area.load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the areas from the registry without importing them."""
        rows = [(area.name, area.help) for area in sorted(self.areas.values(), key=_by_name)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; report failures in one line with the right exit status."""
        from app.errors import GatehouseError

        try:
            return super().invoke(ctx)
        except GatehouseError as error:
            raise click.ClickException(str(error)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            from sqlalchemy.exc import DBAPIError

            if isinstance(error, DBAPIError):
                click.echo(
                    f"Error: database unavailable ({type(error.orig).__name__}); "
                    "nothing was changed",
                    err=True,
                )
                sys.exit(EXIT_ENGINE_FAILURE)
            if os.environ.get("GATEHOUSE_DEBUG") == "1":
                raise
            raise click.ClickException(
                f"internal error ({type(error).__name__}); "
                "set GATEHOUSE_DEBUG=1 to see the traceback"
            ) from None


def shell_actor() -> str:
    """Who a command changes things for when it takes no ``--actor``: the operating-system
    user, marked as coming from a shell and cut to the ledger's actor length."""
    import getpass

    return f"cli:{getpass.getuser()}"[:80]


def trust_roots(trust_files: Sequence[Path]) -> list[Any]:
    """The certificates given with ``--trust`` (PEM or DER); a bad file is a usage error."""
    from app.reports.verification import load_certificate

    roots = []
    for trust_file in trust_files:
        try:
            roots.append(load_certificate(trust_file.read_bytes()))
        except ValueError as error:
            raise click.BadParameter(
                f"{trust_file} is not a PEM or DER certificate ({error})", param_hint="--trust"
            ) from error
    return roots


def trust_option(help: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--trust FILE`` (repeatable), the trusted roots of every command that checks a
    signature: the command receives them loaded, as ``trust_roots`` (see :func:`trust_roots`)."""
    return click.option(
        "--trust",
        "trust_roots",
        multiple=True,
        type=EXISTING_FILE,
        callback=lambda _context, _parameter, files: trust_roots(files),
        help=help,
    )


def _by_name(area: Area) -> str:
    return area.name


def with_app_context(command: Callable[P, R]) -> Callable[P, R]:
    """Run ``command`` inside the application's context, building the application first.

    A test runner's ``ScriptInfo`` (``app.test_cli_runner()``) supplies its application;
    otherwise the application comes from the environment's settings.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from flask import current_app
        from flask.cli import ScriptInfo

        if current_app:
            return command(*args, **kwargs)
        ctx = click.get_current_context()
        info = ctx.find_object(ScriptInfo)
        if info is None:
            from app import create_app

            application = create_app()
        else:
            application = info.load_app()
        # Held by the click context, so a group's subcommands run in the same application.
        ctx.with_resource(application.app_context())
        return command(*args, **kwargs)

    return wrapper
