"""Settings from ``GATEHOUSE_*`` environment variables, as one typed object.

Every knob an operator can turn lives here, so the rest of the code reads a frozen
:class:`Settings` instead of poking at ``os.environ``.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any, TypeVar

from app.errors import ConfigurationError
from app.upload_limits import TabularLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
N = TypeVar("N", int, float)

#: The authorization policy the documented OPA server is started with (not a gate policy).
OPA_AUTHZ_POLICY = PROJECT_ROOT / "opa" / "system" / "authz.rego"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of one Gatehouse process."""

    #: SQLAlchemy URL; SQLite file for the embedded default, PostgreSQL in production.
    database_url: str = "sqlite:///instance/gatehouse.db"
    #: Signs session cookies and CSRF tokens. When unset, a random key is generated once
    #: into ``instance/secret_key`` (mode 0600), so restarts and workers on one host agree.
    #: Kept out of ``repr`` (whoever holds it can forge sessions), like the OPA token.
    secret_key: str = field(default="", repr=False)
    #: ``embedded`` (the OPA-compiled policy in process) or ``opa`` (OPA server at ``opa_url``).
    policy_engine: str = "embedded"
    #: Base URL of the OPA server when ``policy_engine == "opa"``.
    opa_url: str | None = None
    #: Bearer token Gatehouse presents to OPA (``GATEHOUSE_OPA_TOKEN``, or the first line
    #: of the file ``GATEHOUSE_OPA_TOKEN_FILE``). Kept out of ``repr`` so it is never logged.
    opa_token: str | None = field(default=None, repr=False)
    #: The authorization policy OPA was started with: Gatehouse accepts this one module
    #: (by its text) beside its bundle on the server; any other module is a mismatch.
    opa_authz_policy: Path = OPA_AUTHZ_POLICY
    #: Seconds a full check of the server's modules stays good for a decision that denies
    #: (every allow checks them again; the data is checked on every decision).
    opa_recheck_s: float = 5.0
    #: Bearer token a Prometheus scraper presents to ``/metrics`` (``GATEHOUSE_METRICS_TOKEN``);
    #: unset turns ``/metrics`` off. Kept out of ``repr``.
    metrics_token: str | None = field(default=None, repr=False)
    #: Seconds before a policy evaluation is abandoned and the gate denies.
    policy_timeout_s: float = 2.0
    #: Folder holding the Rego packs and their data.
    policy_dir: Path = PROJECT_ROOT / "policies"
    #: Folder of the compiled policy the embedded engine runs (``gatehouse policy build``).
    compiled_policy_dir: Path = PROJECT_ROOT / "compiled-policy"
    #: Optional JSON file whose thresholds override the packaged policy data.
    policy_data_override: Path | None = None
    #: ``local`` (subprocess) or ``kubernetes`` (batch/v1 Jobs).
    launcher: str = "local"
    #: Namespace of the training Jobs (kubernetes launcher).
    kubernetes_namespace: str = "gatehouse-training"
    #: Container image of every training Job, overriding the recipes' images (kubernetes
    #: launcher); the only image when no recipes are configured.
    training_image: str = ""
    #: Folder of training recipes (``jobs/recipes``): which container each kind of run
    #: trains in (kubernetes launcher). Empty: no recipes, GATEHOUSE_TRAINING_IMAGE only.
    recipes_dir: Path | None = PROJECT_ROOT / "jobs" / "recipes"
    #: PriorityClass of training pods (kubernetes launcher); unset keeps the cluster's.
    kubernetes_priority_class: str | None = None
    #: Kueue LocalQueue training Jobs are submitted to (kubernetes launcher); unset: none.
    kubernetes_queue: str | None = None
    #: Service account training pods run as (kubernetes launcher); its token is not mounted.
    kubernetes_training_service_account: str | None = None
    #: Kubeconfig of the training cluster; unset: in-cluster credentials inside a pod,
    #: else ``$KUBECONFIG`` or ``~/.kube/config``.
    kubernetes_kubeconfig: Path | None = None
    #: Where uploaded datasets, reports and other files are stored.
    storage_dir: Path = PROJECT_ROOT / "instance" / "storage"
    #: PKCS#12 file of the organisation's signing identity (generated when missing).
    signing_identity_path: Path = PROJECT_ROOT / "instance" / "signing" / "identity.p12"
    #: Passphrase of the PKCS#12 file; read from a file next to it when unset. Kept out
    #: of ``repr``: it unlocks the organisation's signing key.
    signing_passphrase: str | None = field(default=None, repr=False)
    #: RFC 3161 timestamp authority URL; enables PAdES B-T when set.
    tsa_url: str | None = None
    #: PAdES level every report must reach (b-b, b-t, b-lt, b-lta), or signing fails;
    #: unset: b-t when a TSA URL is set, else b-b (docs/signatures.md).
    signature_level: str | None = None
    #: PEM file of further roots the signature's validation data must lead to (e.g. the
    #: TSA's root) and that report verification in the portal and API trusts.
    signing_trust_roots: Path | None = None
    #: Organisation name printed on reports and in the self-signed identity.
    organisation: str = "Gatehouse demo organisation"
    #: Largest accepted dataset upload, in bytes.
    max_upload_bytes: int = 2 * 1024**3
    #: Bounds of a tabular upload (rows, columns, cell, decompressed bytes), each
    #: ``GATEHOUSE_TABULAR_MAX_<FIELD>``: a table beyond one is refused.
    tabular_limits: TabularLimits = field(default_factory=TabularLimits)
    #: Largest accepted JSON request body, in bytes (no request model needs more; a larger
    #: body is a 413 before it is read).
    max_json_bytes: int = 1024**2
    #: Days before an open approval request expires.
    approval_expiry_days: int = 14
    #: Run the scheduler inside the web process (embedded default only).
    scheduler_in_web: bool = False
    #: Mark the portal's session cookie ``Secure``: browsers send it over HTTPS only, so a
    #: session cannot be read off a plain-HTTP hop (``GATEHOUSE_SECURE_COOKIES=0`` turns it
    #: off for a trial over plain HTTP; ``gatehouse demo`` on loopback does).
    secure_cookies: bool = True
    #: How many proxies in front of Gatehouse set ``X-Forwarded-For``/``-Proto``/``-Host``/
    #: ``-Port`` (an ingress terminating TLS: 1). Their headers are believed, so a request
    #: that reached the proxy over HTTPS counts as HTTPS (HSTS is sent); 0 believes none,
    #: since a client could send them itself.
    trusted_proxies: int = 0
    #: Failed portal logins one client address may make in 10 minutes before its logins
    #: are refused for a while (password spraying across accounts); 0 turns it off.
    login_failures_per_address: int = 50
    #: Networks webhooks may reach besides public addresses
    #: (``GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS``, comma-separated CIDRs such as ``10.20.0.0/16``):
    #: a webhook whose host resolves to a loopback, private, link-local or other non-public
    #: address outside them is refused (docs/pipelines.md).
    webhook_allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()
    #: True in the test configuration: relaxes nothing security-relevant; the API checks
    #: every answer against its declared model again (``app.api.v1.spec``).
    testing: bool = False
    #: Extra Flask config values (tests use this for e.g. WTF_CSRF_ENABLED).
    flask_overrides: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields replaced (used by tests and the demo)."""
        return replace(self, **changes)


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def instance_secret_key(path: Path) -> str:
    """The key stored at ``path``, created (random, owner-only) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def opa_token_from_environment(env: dict[str, str]) -> str | None:
    """``GATEHOUSE_OPA_TOKEN``, else the first line of ``GATEHOUSE_OPA_TOKEN_FILE``, else None.

    An unreadable or empty token file is a ConfigurationError (naming the file, never a
    token): starting without the token the operator meant to give would only fail later.
    """
    token = env.get("GATEHOUSE_OPA_TOKEN", "").strip()
    if token:
        return token
    path = env.get("GATEHOUSE_OPA_TOKEN_FILE", "")
    if not path:
        return None
    try:
        lines = Path(path).read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"GATEHOUSE_OPA_TOKEN_FILE {path}: cannot read it ({type(error).__name__})"
        ) from error
    if not lines or not lines[0].strip():
        raise ConfigurationError(f"GATEHOUSE_OPA_TOKEN_FILE {path} is empty")
    return lines[0].strip()


def tabular_limits_from_environment(environ: dict[str, str] | None = None) -> TabularLimits:
    """The ``GATEHOUSE_TABULAR_*`` limits, read on their own: uploads (through the settings)
    and ``gatehouse dataset validate`` and ``scan``, which need no application, apply the
    same ones.

    A value that is not a whole number is a ConfigurationError naming the variable.
    """
    env = os.environ if environ is None else environ
    defaults = TabularLimits()
    values = {
        bound.name: _number(env, f"TABULAR_{bound.name.upper()}", getattr(defaults, bound.name))
        for bound in fields(TabularLimits)
    }
    return TabularLimits(**values)


def settings_from_environment(environ: dict[str, str] | None = None) -> Settings:
    """Read ``GATEHOUSE_*`` variables; anything unset keeps the embedded default."""
    env = dict(os.environ if environ is None else environ)
    defaults = Settings()

    def get(name: str, default: Any) -> Any:
        return env.get(f"GATEHOUSE_{name}", default)

    return Settings(
        database_url=get("DATABASE_URL", defaults.database_url),
        secret_key=get("SECRET_KEY", "")
        or instance_secret_key(PROJECT_ROOT / "instance" / "secret_key"),
        policy_engine=get("POLICY_ENGINE", defaults.policy_engine),
        opa_url=get("OPA_URL", None),
        opa_token=opa_token_from_environment(env),
        opa_authz_policy=Path(get("OPA_AUTHZ_POLICY", defaults.opa_authz_policy)),
        opa_recheck_s=_number(env, "OPA_RECHECK_S", defaults.opa_recheck_s),
        metrics_token=get("METRICS_TOKEN", None) or None,
        policy_timeout_s=_number(env, "POLICY_TIMEOUT_S", defaults.policy_timeout_s),
        policy_dir=Path(get("POLICY_DIR", defaults.policy_dir)),
        compiled_policy_dir=Path(get("COMPILED_POLICY_DIR", defaults.compiled_policy_dir)),
        policy_data_override=_optional_path(get("POLICY_DATA_OVERRIDE", None)),
        launcher=get("LAUNCHER", defaults.launcher),
        kubernetes_namespace=get("KUBERNETES_NAMESPACE", defaults.kubernetes_namespace),
        training_image=get("TRAINING_IMAGE", defaults.training_image),
        recipes_dir=_optional_path(get("RECIPES_DIR", str(defaults.recipes_dir))),
        kubernetes_priority_class=get("KUBERNETES_PRIORITY_CLASS", None),
        kubernetes_queue=get("KUBERNETES_QUEUE", None),
        kubernetes_training_service_account=get("KUBERNETES_TRAINING_SERVICE_ACCOUNT", None),
        kubernetes_kubeconfig=_optional_path(get("KUBECONFIG", None)),
        storage_dir=Path(get("STORAGE_DIR", defaults.storage_dir)),
        signing_identity_path=Path(get("SIGNING_IDENTITY", defaults.signing_identity_path)),
        signing_passphrase=get("SIGNING_PASSPHRASE", None),
        tsa_url=get("TSA_URL", None),
        signature_level=get("SIGNATURE_LEVEL", None) or None,
        signing_trust_roots=_optional_path(get("SIGNING_TRUST_ROOTS", None)),
        organisation=get("ORGANISATION", defaults.organisation),
        max_upload_bytes=_number(env, "MAX_UPLOAD_BYTES", defaults.max_upload_bytes),
        max_json_bytes=_number(env, "MAX_JSON_BYTES", defaults.max_json_bytes),
        tabular_limits=tabular_limits_from_environment(env),
        approval_expiry_days=_number(env, "APPROVAL_EXPIRY_DAYS", defaults.approval_expiry_days),
        scheduler_in_web=_switch(env, "SCHEDULER_IN_WEB", defaults.scheduler_in_web),
        secure_cookies=_switch(env, "SECURE_COOKIES", defaults.secure_cookies),
        trusted_proxies=_number(env, "TRUSTED_PROXIES", defaults.trusted_proxies),
        login_failures_per_address=_number(
            env, "LOGIN_FAILURES_PER_ADDRESS", defaults.login_failures_per_address
        ),
        webhook_allowed_networks=webhook_allowed_networks_from_environment(env),
    )


def webhook_allowed_networks_from_environment(
    environ: Mapping[str, str] | None = None,
) -> tuple[IPv4Network | IPv6Network, ...]:
    """``GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS``, read on its own: the settings, and the webhook
    senders of the scheduler's job threads (which run outside an application), read the
    same networks.

    Comma-separated networks (``10.20.0.0/16``, ``fd00::/8``; a bare address is that one
    address); one that is not a network, or has host bits set (``10.20.0.1/16``), is a
    ConfigurationError naming the variable.
    """
    env = os.environ if environ is None else environ
    text = env.get("GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS", "")
    networks = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        try:
            networks.append(ip_network(piece))
        except ValueError as error:
            raise ConfigurationError(
                f"GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS must be comma-separated networks such as "
                f"10.20.0.0/16; {piece!r} is not one ({error})"
            ) from error
    return tuple(networks)


def _number(env: Mapping[str, str], name: str, default: N) -> N:
    """``GATEHOUSE_<name>`` as a number of the default's type, zero or more; anything else
    (``abc``, ``-1``, ``1.5`` for a whole number, ``nan``) is a ConfigurationError naming
    the variable, never a traceback at start-up."""
    text = env.get(f"GATEHOUSE_{name}")
    if text is None or not text.strip():
        return default
    try:
        value = type(default)(text.strip())
    except ValueError:
        value = None
    if value is None or not 0 <= value < math.inf:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise ConfigurationError(f"GATEHOUSE_{name} must be {kind}, 0 or more; it is {text!r}")
    return value


def _switch(env: dict[str, str], name: str, default: bool) -> bool:
    """``GATEHOUSE_<name>`` as 1 or 0 (true/false, yes/no, on/off); anything else is a
    ConfigurationError naming the variable, never a guess."""
    text = env.get(f"GATEHOUSE_{name}")
    if text is None or not text.strip():
        return default
    value = _SWITCH_WORDS.get(text.strip().lower())
    if value is None:
        raise ConfigurationError(f"GATEHOUSE_{name} must be 1 or 0; it is {text!r}")
    return value


_SWITCH_WORDS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}


def settings_for_tests(tmp_dir: Path, database_url: str | None = None) -> Settings:
    """Settings for one test: its own database and storage under ``tmp_dir``."""
    return Settings(
        database_url=database_url or f"sqlite:///{tmp_dir / 'gatehouse.db'}",
        secret_key="test-secret-key-not-for-production",
        storage_dir=tmp_dir / "storage",
        signing_identity_path=tmp_dir / "signing" / "identity.p12",
        testing=True,
        flask_overrides={"WTF_CSRF_ENABLED": False},
        # The production deadline (2 s) is tested by the fail-closed tests with their own
        # short timeouts; here a busy test runner must not turn an ordinary decision into
        # a spurious "no answer" deny.
        policy_timeout_s=10.0,
    )
