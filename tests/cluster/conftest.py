"""A real Kubernetes API server for the cluster tests, and what each test creates on it.

The cluster is the one ``KUBECONFIG`` names: ``scripts/test`` builds and starts a local
control plane (etcd, kube-apiserver, kube-controller-manager on 127.0.0.1) and sets it;
kind or a cloud cluster work the same with an admin kubeconfig. Without ``KUBECONFIG``,
a control plane already built by ``scripts/build-control-plane`` is started for the
session. Only when neither exists and ``scripts/test`` recorded why the build was
impossible (``GATEHOUSE_CONTROL_PLANE_UNAVAILABLE``) are the tests skipped, with that
reason; otherwise a missing cluster fails them, like a missing PostgreSQL does.

Every test gets its own namespace enforcing Pod Security ``restricted``, deleted after.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client, config

from app import create_app
from app.config import PROJECT_ROOT, Settings, settings_for_tests
from tests.approvals.conftest import people, policy_engine  # noqa: F401 (the launch fixtures)
from tests.conftest import Actor, create_actor

#: Release built by scripts/build-control-plane (keep the two in step).
K8S_VERSION = os.environ.get("GATEHOUSE_K8S_VERSION", "v1.37.2")
#: Never pulled on the local control plane (no kubelet); any image name will do.
TRAINING_IMAGE = os.environ.get("GATEHOUSE_TEST_TRAINING_IMAGE", "trainer.invalid/llama-sft:1")
#: Prefix of every namespace the tests create (and delete).
NAMESPACE_PREFIX = "gatehouse-test-"

T = TypeVar("T")


@dataclass
class ClusterFigures:
    """What the terminal summary prints about the cluster runs."""

    server: str = ""
    version: str = ""
    started_here_s: float | None = None
    launch_seconds: list[float] = field(default_factory=list)


FIGURES = ClusterFigures()


@dataclass(frozen=True)
class Cluster:
    """An admin's view of the cluster under test."""

    kubeconfig: Path
    api: client.ApiClient

    @property
    def core(self) -> client.CoreV1Api:
        """The core/v1 API (namespaces, pods, events, quotas, service accounts)."""
        return client.CoreV1Api(self.api)

    @property
    def batch(self) -> client.BatchV1Api:
        """The batch/v1 API (Jobs)."""
        return client.BatchV1Api(self.api)

    @property
    def rbac(self) -> client.RbacAuthorizationV1Api:
        """The rbac/v1 API (Roles and their bindings)."""
        return client.RbacAuthorizationV1Api(self.api)


def _start_local_control_plane(scratch: Path) -> Path | None:
    """Start the control plane built under .tools/, if it was built; its kubeconfig."""
    bin_dir = PROJECT_ROOT / ".tools" / f"k8s-{K8S_VERSION}" / "bin"
    if not (bin_dir / ".complete").exists():
        return None
    began = time.perf_counter()
    started = subprocess.run(
        [str(PROJECT_ROOT / "scripts" / "start-control-plane"), str(bin_dir), str(scratch)],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        pytest.fail(f"the local control plane did not start: {started.stderr.strip()}")
    FIGURES.started_here_s = time.perf_counter() - began
    return Path(started.stdout.strip())


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The cluster under test, reachable, with an admin client."""
    scratch: Path | None = None
    named = os.environ.get("KUBECONFIG")
    if named:
        kubeconfig = Path(named)
        if not kubeconfig.is_file():
            pytest.fail(f"KUBECONFIG names {kubeconfig}, which does not exist")
    else:
        scratch = Path(f"/tmp/gatehouse-cp-{uuid.uuid4().hex[:8]}")
        local = _start_local_control_plane(scratch)
        if local is None:
            reason = os.environ.get("GATEHOUSE_CONTROL_PLANE_UNAVAILABLE")
            if reason:
                pytest.skip(f"NO KUBERNETES CLUSTER: KUBECONFIG is unset and {reason}")
            pytest.fail(
                "no Kubernetes cluster: set KUBECONFIG (kind, a cloud cluster) or build the "
                "local control plane with scripts/build-control-plane (scripts/test does both)"
            )
        kubeconfig = local
    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        version = client.VersionApi(api).get_code()
    except Exception as error:
        pytest.fail(f"the cluster in {kubeconfig} does not answer: {error}")
    FIGURES.server = api.configuration.host
    FIGURES.version = version.git_version
    yield Cluster(kubeconfig=kubeconfig, api=api)
    api.close()
    if scratch is not None:
        subprocess.run(
            [str(PROJECT_ROOT / "scripts" / "stop-control-plane"), str(scratch)], check=False
        )


def create_namespace(cluster: Cluster, *, restricted: bool = True) -> str:
    """A fresh namespace (Pod Security ``restricted`` enforced unless told otherwise)."""
    name = f"{NAMESPACE_PREFIX}{uuid.uuid4().hex[:10]}"
    labels = (
        {
            f"pod-security.kubernetes.io/{mode}": "restricted"
            for mode in ("enforce", "warn", "audit")
        }
        | {"pod-security.kubernetes.io/enforce-version": "latest"}
        if restricted
        else {}
    )
    cluster.core.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels))
    )
    # Pods (even dry-run ones) are admitted only once the service-account controller has
    # given the namespace its "default" service account.
    eventually(
        lambda: any(
            account.metadata.name == "default"
            for account in cluster.core.list_namespaced_service_account(name).items
        ),
        what=f"the default service account of namespace {name}",
    )
    return name


@pytest.fixture
def namespace_factory(cluster: Cluster) -> Iterator[Callable[..., str]]:
    """Creates namespaces on demand; all of them are deleted after the test."""
    created: list[str] = []

    def make(*, restricted: bool = True) -> str:
        created.append(create_namespace(cluster, restricted=restricted))
        return created[-1]

    yield make
    for name in created:
        cluster.core.delete_namespace(name, propagation_policy="Background")


@pytest.fixture
def training_namespace(namespace_factory: Callable[..., str]) -> str:
    """The namespace Gatehouse launches into in this test (Pod Security ``restricted``)."""
    return namespace_factory()


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, cluster: Cluster, training_namespace: str
) -> Settings:
    """Test settings with the Kubernetes launcher pointed at the cluster under test."""
    return settings_for_tests(tmp_path, database_url).with_overrides(
        launcher="kubernetes",
        kubernetes_namespace=training_namespace,
        training_image=TRAINING_IMAGE,
        kubernetes_kubeconfig=cluster.kubeconfig,
    )


@dataclass(frozen=True)
class SecondGatehouse:
    """Another Gatehouse database (and application) launching into the same namespace."""

    engine: Any
    policy_engine: Any
    engineer: Actor


@pytest.fixture
def second_gatehouse(
    tmp_path: Path, settings: Settings, sqlite_template: Path
) -> Iterator[SecondGatehouse]:
    """A second instance: its own migrated database, its own people, the same cluster."""
    folder = tmp_path / "second"
    folder.mkdir()
    shutil.copyfile(sqlite_template, folder / "gatehouse.db")
    application = create_app(
        settings.with_overrides(
            database_url=f"sqlite:///{folder / 'gatehouse.db'}",
            storage_dir=folder / "storage",
            signing_identity_path=folder / "signing" / "identity.p12",
        )
    )
    engine = application.extensions["gatehouse.engine"]
    create_actor(application, engine, "compliance_officer", "olivia")
    yield SecondGatehouse(
        engine=engine,
        policy_engine=application.extensions["gatehouse.policy_engine"],
        engineer=create_actor(application, engine, "ml_engineer", "eli"),
    )
    engine.dispose()


def client_as_service_account(
    cluster: Cluster, namespace: str, name: str, *, rules: list[client.V1PolicyRule]
) -> client.ApiClient:
    """A client acting as a new service account granted exactly ``rules`` in ``namespace``.

    The token comes from the TokenRequest API, so this works on any cluster.
    """
    cluster.core.create_namespaced_service_account(
        namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=name))
    )
    if rules:
        cluster.rbac.create_namespaced_role(
            namespace, client.V1Role(metadata=client.V1ObjectMeta(name=name), rules=rules)
        )
        cluster.rbac.create_namespaced_role_binding(
            namespace,
            client.V1RoleBinding(
                metadata=client.V1ObjectMeta(name=name),
                role_ref=client.V1RoleRef(
                    api_group="rbac.authorization.k8s.io", kind="Role", name=name
                ),
                subjects=[
                    client.RbacV1Subject(kind="ServiceAccount", name=name, namespace=namespace)
                ],
            ),
        )
    token = cluster.core.create_namespaced_service_account_token(
        name,
        namespace,
        client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
        ),
    ).status.token
    return bearer_client(cluster, token)


def bearer_client(cluster: Cluster, token: str) -> client.ApiClient:
    """A client of the same server, authenticated by ``token`` alone."""
    admin = cluster.api.configuration
    configuration = client.Configuration(host=admin.host)
    configuration.ssl_ca_cert = admin.ssl_ca_cert
    configuration.verify_ssl = admin.verify_ssl
    configuration.api_key = {"authorization": f"Bearer {token}"}
    return client.ApiClient(configuration)


def eventually(check: Callable[[], T | None], *, what: str, timeout_s: float = 60) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` at the bound.

    The bound only stops a hung test; nothing asserts how fast the cluster is.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout_s:.0f}s waiting for {what}")
        time.sleep(0.2)


def timed_launch(call: Callable[[], T]) -> T:
    """Run one launch call, recording how long the round trip took for the summary."""
    began = time.perf_counter()
    try:
        return call()
    finally:
        FIGURES.launch_seconds.append(time.perf_counter() - began)


def jobs_of_run(cluster: Cluster, namespace: str, run_id: int) -> list[Any]:
    """The Jobs in ``namespace`` labelled with ``run_id``."""
    return list(
        cluster.batch.list_namespaced_job(
            namespace, label_selector=f"gatehouse.dev/run-id={run_id}"
        ).items
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the cluster figures: which server, how it started, how launches went."""
    if not FIGURES.server:
        return
    lines = [f"cluster: Kubernetes {FIGURES.version} at {FIGURES.server}"]
    if FIGURES.started_here_s is not None:
        lines.append(
            f"cluster: local control plane started by the tests in {FIGURES.started_here_s:.1f}s"
        )
    if FIGURES.launch_seconds:
        seconds = FIGURES.launch_seconds
        lines.append(
            f"cluster: {len(seconds)} launch calls through Gatehouse, median "
            f"{statistics.median(seconds) * 1000:.0f} ms, slowest {max(seconds) * 1000:.0f} ms"
        )
    terminalreporter.write_sep("-", "Kubernetes")
    for line in lines:
        terminalreporter.write_line(line)
