"""Run a training command and write its exit status to a file (used by the local launcher).

Usage: ``python -m app.launch.local_runner EXIT_FILE -- COMMAND [ARGS...]``. The status is
written to a temporary name and renamed, so a reader never sees half a number.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main(arguments: list[str]) -> int:
    """Run the command after ``--`` and record how it ended."""
    exit_file = Path(arguments[0])
    command = arguments[arguments.index("--") + 1 :]
    try:
        code = subprocess.call(command)
    except OSError as error:
        print(f"cannot run {command[0]!r}: {error.strerror}", flush=True)
        code = 127
    partial = exit_file.with_suffix(".partial")
    partial.write_text(str(code))
    os.replace(partial, exit_file)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
