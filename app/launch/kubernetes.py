"""The Kubernetes launcher: creates, reads and deletes training Jobs through the official client.

What it needs from the cluster is deliberately small, and ``deploy/`` grants exactly
that in the training namespace: ``jobs`` create, get and delete, and ``events`` list.
The status is read from the Job object itself (``jobs`` get), not from the
``jobs/status`` subresource, which would be one more permission for the same data.

Every answer of the API server that is not a success becomes a sentence saying what to
do (create the namespace, grant a permission, raise a quota, fix a field), because that
sentence is what an operator reads on the run. Creating is retried only where a retry is
safe: on an overloaded or unreachable server, since the Job's deterministic name and the
ownership check make a repeated create harmless.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from app.launch.errors import JobOwnershipError, LauncherError
from app.launch.kubernetes_manifest import KubernetesOptions, job_manifest, job_name, ownership
from app.launch.launcher import LaunchSpec, LaunchStatus
from app.models.vocabulary import RunState

__all__ = ["KubernetesLauncher", "api_client_for", "explain_api_error"]

#: Statuses after which the same create may be sent again (nothing was decided).
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
#: Attempts at creating a Job, and the pause before each retry (seconds).
_CREATE_ATTEMPTS = 3
_RETRY_PAUSE_S = 0.5
#: (connect, read) seconds for one API call, so a hung server fails the launch instead of
#: holding the run's row lock.
_REQUEST_TIMEOUT = (5, 30)

T = TypeVar("T")


def _status_body(error: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(error.body or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def explain_api_error(error: ApiException, *, verb: str, resource: str, namespace: str) -> str:
    """One sentence for an operator: what Kubernetes said and what to do about it."""
    body = _status_body(error)
    message = str(body.get("message") or error.reason or "no message")
    details = body.get("details") or {}
    if error.status == 404 and details.get("kind") == "namespaces":
        return (
            f"namespace '{namespace}' does not exist: create it "
            f"(kubectl create namespace {namespace}; kubectl label namespace {namespace} "
            "pod-security.kubernetes.io/enforce=restricted) or set "
            "GATEHOUSE_KUBERNETES_NAMESPACE to an existing training namespace"
        )
    if error.status == 401:
        return (
            "Kubernetes did not accept Gatehouse's credentials (401 Unauthorized): check the "
            "kubeconfig or the service-account token"
        )
    if error.status == 403 and "exceeded quota" in message:
        return f"quota exceeded in namespace '{namespace}': {message}"
    if error.status == 403:
        return (
            f"Gatehouse may not {verb} {resource} in namespace '{namespace}' (403 Forbidden: "
            f"{message}); bind the Role in deploy/ to Gatehouse's service account"
        )
    if error.status == 422:
        causes = [
            f"{cause.get('field', '?')}: {cause.get('message', '')}".strip()
            for cause in details.get("causes") or []
        ]
        return f"Kubernetes rejected the {resource} as invalid: " + (
            "; ".join(causes) if causes else message
        )
    return f"Kubernetes answered {error.status} {error.reason} to {verb} {resource}: {message}"


def _event_time(event: client.CoreV1Event) -> datetime:
    """When an event last happened (older events carry only some of the timestamps)."""
    moments = (event.last_timestamp, event.event_time, event.metadata.creation_timestamp)
    return next(
        (moment for moment in moments if moment is not None), datetime.min.replace(tzinfo=UTC)
    )


def api_client_for(kubeconfig: Path | None) -> client.ApiClient:
    """A client of its own (no global configuration touched) for the configured cluster."""
    if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration)
    path = kubeconfig or os.environ.get("KUBECONFIG") or Path.home() / ".kube" / "config"
    try:
        return config.new_client_from_config(config_file=str(path))
    except (config.ConfigException, OSError) as error:
        raise LauncherError(
            f"cannot load the Kubernetes configuration from {path}: {error}"
        ) from error


class KubernetesLauncher:
    """Creates, reads and deletes training Jobs in one namespace."""

    kind = "kubernetes"

    def __init__(self, options: KubernetesOptions, api_client: client.ApiClient | None = None):
        self.options = options
        self._api_client = api_client

    def _client(self) -> client.ApiClient:
        if self._api_client is None:
            self._api_client = api_client_for(self.options.kubeconfig)
        return self._api_client

    def _batch(self) -> client.BatchV1Api:
        return client.BatchV1Api(self._client())

    def launch(self, spec: LaunchSpec) -> str:
        """Create the Job; this launch's own Job already there counts as created."""
        manifest = job_manifest(spec, self.options)
        name = job_name(spec.instance_id, spec.run_id)
        namespace = self.options.namespace
        for attempt in range(1, _CREATE_ATTEMPTS + 1):
            try:
                self._batch().create_namespaced_job(
                    namespace=namespace, body=manifest, _request_timeout=_REQUEST_TIMEOUT
                )
                break
            except ApiException as error:
                if error.status == 409:
                    self._check_ownership(spec, name)
                    break
                if error.status in _RETRYABLE and attempt < _CREATE_ATTEMPTS:
                    time.sleep(_RETRY_PAUSE_S * attempt)
                    continue
                raise LauncherError(
                    f"cannot create Job {namespace}/{name}: "
                    + explain_api_error(error, verb="create", resource="Job", namespace=namespace)
                ) from error
            except (urllib3.exceptions.HTTPError, OSError) as error:
                if attempt < _CREATE_ATTEMPTS:
                    time.sleep(_RETRY_PAUSE_S * attempt)
                    continue
                raise LauncherError(
                    f"cannot reach Kubernetes to create Job {namespace}/{name} "
                    f"after {attempt} attempts: {type(error).__name__}: {error}"
                ) from error
        return f"{namespace}/{name}"

    def _check_ownership(self, spec: LaunchSpec, name: str) -> None:
        """Raise unless the Job already named ``name`` was made by this very launch."""
        namespace = self.options.namespace
        try:
            existing = self._batch().read_namespaced_job(
                name=name, namespace=namespace, _request_timeout=_REQUEST_TIMEOUT
            )
        except ApiException as error:
            raise LauncherError(
                f"Job {namespace}/{name} already exists and cannot be read: "
                + explain_api_error(error, verb="get", resource="Job", namespace=namespace)
            ) from error
        metadata = existing.metadata or client.V1ObjectMeta()
        if metadata.deletion_timestamp is not None:
            raise JobOwnershipError(
                f"Job {namespace}/{name} is being deleted; nothing was changed. Launch again "
                "once it is gone"
            )
        found = {**(metadata.labels or {}), **(metadata.annotations or {})}
        differences = [
            f"{key.rpartition('/')[2]} is {found.get(key)!r}, this launch has {expected!r}"
            for key, expected in ownership(spec).items()
            if found.get(key) != expected
        ]
        if differences:
            raise JobOwnershipError(
                f"Job {namespace}/{name} already exists but was not created by this launch "
                f"({'; '.join(differences)}); nothing was changed. Find out who made it; "
                f"if it may go, delete it (kubectl -n {namespace} delete job {name}) and "
                "launch again"
            )

    def _existing_job(self, reference: str, verb: str, call: Callable[[], T]) -> T | None:
        """``call`` on the Job ``reference``: its answer, or None when the Job does not exist.

        Any other failure is a :class:`LauncherError` saying what could not be done
        (``verb`` is the API verb: get or delete) and what to do about it.
        """
        namespace = reference.partition("/")[0]
        doing = "read" if verb == "get" else verb
        try:
            return call()
        except ApiException as error:
            if error.status == 404:
                return None
            raise LauncherError(
                f"cannot {doing} Job {reference}: "
                + explain_api_error(error, verb=verb, resource="Job", namespace=namespace)
            ) from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise LauncherError(
                f"cannot reach Kubernetes to {doing} Job {reference}: {type(error).__name__}"
            ) from error

    def status(self, reference: str) -> LaunchStatus:
        """Succeeded, failed (with the reason Kubernetes gives) or running (with progress)."""
        namespace, _, name = reference.partition("/")
        job = self._existing_job(
            reference,
            "get",
            lambda: self._batch().read_namespaced_job(
                name=name, namespace=namespace, _request_timeout=_REQUEST_TIMEOUT
            ),
        )
        if job is None:
            return LaunchStatus(RunState.FAILED, f"Job {reference} no longer exists")
        return self._interpret(job, namespace, name)

    def _interpret(self, job: client.V1Job, namespace: str, name: str) -> LaunchStatus:
        reference = f"{namespace}/{name}"
        status = job.status or client.V1JobStatus()
        if job.metadata and job.metadata.deletion_timestamp is not None:
            return LaunchStatus(
                RunState.FAILED, f"Job {reference} is being deleted outside Gatehouse"
            )
        conditions = {c.type: c for c in status.conditions or [] if c.status == "True"}
        if "Complete" in conditions:
            finished = status.completion_time.isoformat() if status.completion_time else "?"
            return LaunchStatus(
                RunState.SUCCEEDED,
                f"Job complete at {finished}: {status.succeeded or 0} pod(s) succeeded",
            )
        # FailureTarget is the Job controller's final verdict while it removes the pods;
        # Failed follows once they are gone.
        for kind in ("Failed", "FailureTarget"):
            if kind in conditions:
                condition = conditions[kind]
                return LaunchStatus(
                    RunState.FAILED, f"{condition.reason}: {condition.message or ''}".rstrip(": ")
                )
        if "Suspended" in conditions or (job.spec and job.spec.suspend):
            return LaunchStatus(
                RunState.RUNNING, "suspended: waiting for the queue to admit the Job"
            )
        started = (
            f"started at {status.start_time.isoformat()}" if status.start_time else "not started"
        )
        progress = f"{started}; {status.active or 0} active, {status.ready or 0} ready pod(s)"
        if not status.active:
            progress += self._why_no_pod(namespace, name)
        return LaunchStatus(RunState.RUNNING, progress)

    def _why_no_pod(self, namespace: str, name: str) -> str:
        """The Job controller's latest FailedCreate event (quota, Pod Security), if any."""
        try:
            events = client.CoreV1Api(self._client()).list_namespaced_event(
                namespace=namespace,
                field_selector=(
                    f"involvedObject.kind=Job,involvedObject.name={name},reason=FailedCreate"
                ),
                _request_timeout=_REQUEST_TIMEOUT,
            )
        except ApiException as error:
            return "; no pod yet, and its events cannot be read: " + explain_api_error(
                error, verb="list", resource="events", namespace=namespace
            )
        failures = [event for event in events.items if event.message]
        if not failures:
            return ""
        return f"; no pod can be created: {max(failures, key=_event_time).message}"

    def cancel(self, reference: str) -> str:
        """Delete the Job with foreground propagation: its pods go first, then the Job."""
        namespace, _, name = reference.partition("/")

        def delete() -> str:
            self._batch().delete_namespaced_job(
                name=name,
                namespace=namespace,
                body=client.V1DeleteOptions(propagation_policy="Foreground"),
                _request_timeout=_REQUEST_TIMEOUT,
            )
            return f"Job {reference} deleted (foreground: its pods are removed first)"

        return (
            self._existing_job(reference, "delete", delete) or f"Job {reference} was already gone"
        )
