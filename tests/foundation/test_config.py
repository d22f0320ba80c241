"""Settings: environment variables, and the secret key that survives restarts."""

from __future__ import annotations

import stat
from pathlib import Path

from app.config import instance_secret_key, settings_from_environment


def test_generated_secret_key_is_stable_and_private(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "secret_key"
    first = instance_secret_key(path)
    assert len(first) == 64 and instance_secret_key(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_environment_overrides_defaults() -> None:
    settings = settings_from_environment(
        {
            "GATEHOUSE_SECRET_KEY": "k" * 32,
            "GATEHOUSE_POLICY_ENGINE": "opa",
            "GATEHOUSE_OPA_URL": "http://127.0.0.1:8181",
            "GATEHOUSE_POLICY_TIMEOUT_S": "1.5",
        }
    )
    assert settings.secret_key == "k" * 32 and settings.policy_engine == "opa"
    assert settings.opa_url == "http://127.0.0.1:8181" and settings.policy_timeout_s == 1.5
