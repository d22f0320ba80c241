"""The local launcher: the run's training command as a subprocess (embedded default, demo).

The command runs under :mod:`app.launch.local_runner`, which records the exit status in a
file next to the log, so any Gatehouse process (the scheduler, the CLI) can tell how a
run ended without being the subprocess's parent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from app.launch.errors import LauncherError
from app.launch.launcher import LaunchSpec, LaunchStatus
from app.models.vocabulary import RunState

__all__ = ["LocalLauncher"]


class LocalLauncher:
    """Runs training commands on this machine, one folder per run under ``root``."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, run_id: int) -> Path:
        return self.root / f"run-{run_id}"

    def launch(self, spec: LaunchSpec) -> str:
        """Start the command unless this run was already started (then return its reference)."""
        if not spec.command:
            raise LauncherError(f"run {spec.run_id} has no training command to launch locally")
        folder = self._folder(spec.run_id)
        reference = str(folder)
        if (folder / "started.json").exists():
            return reference
        folder.mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            "GATEHOUSE_RUN_ID": str(spec.run_id),
            "GATEHOUSE_DECISION_ID": str(spec.decision_id),
            "GATEHOUSE_DATASET_HASHES": json.dumps(spec.dataset_hashes, sort_keys=True),
        }
        try:
            with (folder / "training.log").open("ab") as log:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "app.launch.local_runner",
                        str(folder / "exit_status"),
                        "--",
                        *spec.command,
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=environment,
                    cwd=folder,
                    start_new_session=True,
                )
        except OSError as error:
            raise LauncherError(f"could not start run {spec.run_id}: {error.strerror}") from error
        (folder / "started.json").write_text(
            json.dumps({"pid": process.pid, "run_id": spec.run_id})
        )
        return reference

    def status(self, reference: str) -> LaunchStatus:
        """Running until the runner wrote an exit status; 0 is success."""
        folder = Path(reference)
        exit_file = folder / "exit_status"
        if not exit_file.exists():
            if not (folder / "started.json").exists():
                return LaunchStatus(RunState.FAILED, "the run's folder has no record of a start")
            return LaunchStatus(RunState.RUNNING)
        code = exit_file.read_text().strip()
        if code == "0":
            return LaunchStatus(RunState.SUCCEEDED, "exit status 0")
        return LaunchStatus(RunState.FAILED, f"exit status {code}; see {folder / 'training.log'}")

    def cancel(self, reference: str) -> str:
        """Stop the run's process group (the runner and the command it started)."""
        started = Path(reference) / "started.json"
        if not started.exists():
            return "the run's folder has no record of a start; nothing to stop"
        pid = int(json.loads(started.read_text())["pid"])
        try:
            # The runner was started in a new session: its process group id is its pid.
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return f"process group {pid} had already ended"
        return f"process group {pid} sent SIGTERM"
