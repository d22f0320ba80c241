"""Validation's inner loops in C (``_native.c``), or ``None`` where they are not built.

``scripts/setup`` builds the extension (``setup.py``). An environment installed before
it existed still validates correctly, only slower: every caller has the Python way of
doing the same work (a test checks that the extension is built where tests run).
"""

from __future__ import annotations

try:
    from app.formats import _native as native
except ImportError:
    native = None  # type: ignore[assignment]

__all__ = ["native"]
