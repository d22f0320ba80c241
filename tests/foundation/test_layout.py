"""House rules of the layout that a reader of one module cannot see broken elsewhere.

Error classes live in their package's ``errors.py`` (one typed hierarchy a door can map
to a status), and service functions that take a database session take it keyword-only,
so a call says ``session=`` and arguments cannot be swapped silently.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _modules() -> dict[str, ast.Module]:
    return {
        path.relative_to(APP).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(APP.rglob("*.py"))
    }


def _base_names(node: ast.ClassDef) -> list[str]:
    names = []
    for base in node.bases:
        if isinstance(base, ast.Name):
            names.append(base.id)
        elif isinstance(base, ast.Attribute):
            names.append(base.attr)
    return names


def test_error_classes_live_in_errors_modules() -> None:
    modules = _modules()
    error_names = {"Exception", "ValueError", "RuntimeError"}
    for name, tree in modules.items():
        if name.endswith("errors.py"):
            error_names |= {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    misplaced = [
        f"{name}:{node.lineno} {node.name}"
        for name, tree in modules.items()
        if not name.endswith("errors.py")
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        # A private class is a module's own control flow or a library's hook, never
        # raised to a door.
        and not node.name.startswith("_")
        and any(base in error_names or base.endswith("Error") for base in _base_names(node))
    ]
    assert not misplaced, f"move these to their package's errors.py: {misplaced}"


def _is_job(node: ast.FunctionDef) -> bool:
    """Scheduled jobs are called by the runner as ``job(context, session)``."""
    return any(
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Name)
        and decorator.func.id == "job"
        for decorator in node.decorator_list
    )


#: Doors (their views are called by the door's own machinery, ``route()`` hands the API
#: view its unit of work's session first), the demo's seeding steps (data loading called
#: in order by one command) and the database layer's own helpers (``read_rows(session,
#: statement, **bind_parameters)``).
_NOT_SERVICES = ("api/", "web/", "cli/", "demo/", "db.py")


def test_service_functions_take_the_session_keyword_only() -> None:
    positional = [
        f"{name}:{node.lineno} {node.name}"
        for name, tree in _modules().items()
        if not name.startswith(_NOT_SERVICES)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and not _is_job(node)
        and "session" in [a.arg for a in node.args.posonlyargs + node.args.args]
    ]
    assert not positional, f"take session keyword-only (after *): {positional}"
