"""Settings: environment variables, and the secret key that survives restarts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.config import instance_secret_key, settings_from_environment
from app.errors import ConfigurationError


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


@pytest.mark.parametrize(
    ("text", "expected"), [(None, True), ("", True), ("0", False), ("off", False), (" TRUE ", True)]
)
def test_switches_read_one_and_zero_and_their_words(text: str | None, expected: bool) -> None:
    env = {"GATEHOUSE_SECRET_KEY": "k" * 32}
    if text is not None:
        env |= {"GATEHOUSE_SECURE_COOKIES": text, "GATEHOUSE_SCHEDULER_IN_WEB": text}
    settings = settings_from_environment(env)
    assert settings.secure_cookies is expected
    assert settings.scheduler_in_web is (expected if text else False)


def test_a_switch_that_is_neither_on_nor_off_stops_the_start() -> None:
    with pytest.raises(
        ConfigurationError, match=r"GATEHOUSE_SECURE_COOKIES must be 1 or 0; it is 'sure'"
    ):
        settings_from_environment({"GATEHOUSE_SECRET_KEY": "k", "GATEHOUSE_SECURE_COOKIES": "sure"})


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("MAX_UPLOAD_BYTES", "2GB", "a whole number"),
        ("APPROVAL_EXPIRY_DAYS", "-1", "a whole number"),
        ("TRUSTED_PROXIES", "1.5", "a whole number"),
        ("POLICY_TIMEOUT_S", "nan", "a number"),
        ("OPA_RECHECK_S", "inf", "a number"),
    ],
)
def test_a_number_that_is_not_one_stops_the_start_naming_the_variable(
    name: str, text: str, kind: str
) -> None:
    """A bad number was a bare ValueError traceback at start-up (``int('2GB')``)."""
    with pytest.raises(
        ConfigurationError, match=rf"^GATEHOUSE_{name} must be {kind}, 0 or more; it is '{text}'$"
    ):
        settings_from_environment({"GATEHOUSE_SECRET_KEY": "k", f"GATEHOUSE_{name}": text})


def test_the_secret_key_and_signing_passphrase_are_never_shown() -> None:
    settings = settings_from_environment(
        {"GATEHOUSE_SECRET_KEY": "session-signing-key-0123456789abcdef"}
    ).with_overrides(signing_passphrase="pkcs12-passphrase-0123456789")
    assert settings.secret_key == "session-signing-key-0123456789abcdef"
    shown = repr(settings) + str(settings)
    assert "session-signing-key" not in shown and "pkcs12-passphrase" not in shown
    assert "secret_key" not in shown and "database_url=" in shown


def test_opa_token_comes_from_the_environment_or_a_file_and_is_never_shown(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "opa-token"
    token_file.write_text("from-the-file\nignored second line\n")
    base = {"GATEHOUSE_SECRET_KEY": "k" * 32}
    from_file = settings_from_environment({**base, "GATEHOUSE_OPA_TOKEN_FILE": str(token_file)})
    assert from_file.opa_token == "from-the-file"
    both = {**base, "GATEHOUSE_OPA_TOKEN": "direct", "GATEHOUSE_OPA_TOKEN_FILE": str(token_file)}
    assert settings_from_environment(both).opa_token == "direct"
    assert settings_from_environment(base).opa_token is None
    assert "from-the-file" not in repr(from_file) and "direct" not in repr(
        settings_from_environment(both)
    )


def test_an_unusable_opa_token_file_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    base = {"GATEHOUSE_SECRET_KEY": "k" * 32}
    for path, reason in ((tmp_path / "missing", "cannot read it"), (empty, "is empty")):
        with pytest.raises(ConfigurationError, match=reason) as raised:
            settings_from_environment({**base, "GATEHOUSE_OPA_TOKEN_FILE": str(path)})
        assert str(path) in str(raised.value)
