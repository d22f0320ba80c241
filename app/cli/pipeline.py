"""The release pipeline's door: request a gated transition over the API and wait for it.

``gatehouse promote MODEL_VERSION --to production --wait`` and ``gatehouse run submit RUN
--wait`` are HTTP clients of a running Gatehouse (``GATEHOUSE_URL``, bearer token in
``GATEHOUSE_TOKEN``); they need no database and no application config. They print the
decision and each change of the approval state, and exit:

- 0 done (approved; with ``--wait``, the subject reached production / approved),
- 1 denied by the gate, rejected, voided by changed evidence, expired, or refused (4xx),
- 2 still waiting when ``--timeout`` ran out,
- 3 could not ask: Gatehouse unreachable, a 5xx answer, a bad token, no configuration,
  or a gate decision that is indeterminate (the policy engine gave no answer; nothing
  moved, and asking again later may decide).

``gatehouse approvals expire``, the operators' command, is in :mod:`app.cli.approvals`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import click

from app.models.vocabulary import (
    ApprovalStatus,
    DeploymentState,
    GateSubject,
    RunState,
    VoteDecision,
)

__all__ = [
    "EXIT_DENIED",
    "EXIT_DONE",
    "EXIT_INFRASTRUCTURE",
    "EXIT_TIMEOUT",
    "call_once",
    "promote_command",
    "read_once",
    "run_group",
]

EXIT_DONE, EXIT_DENIED, EXIT_TIMEOUT, EXIT_INFRASTRUCTURE = 0, 1, 2, 3

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class _Finished(Exception):
    """Stop with an exit status after printing ``message`` (on stderr when failing)."""

    def __init__(self, code: int, message: str, document: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.document = document or {}


class _Unanswered(_Finished):
    """Gatehouse could not be reached or answered 5xx: worth asking again (exit 3 if not)."""


#: Waits before each retry of a POST the pipeline sends with its Idempotency-Key.
_RETRY_DELAYS_S = (1.0, 3.0)


def parse_duration(text: str) -> float:
    """Seconds in '30m', '90s', '2h', '1d' or a bare number of seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise click.BadParameter(f"'{text}' is not a duration like 90s, 30m or 2h")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@dataclass(frozen=True)
class ApiClient:
    """A small JSON client of the Gatehouse API (standard library only)."""

    base_url: str
    token: str
    #: Socket timeout of one call, seconds.
    timeout_s: float = 30.0

    @classmethod
    def from_environment(cls) -> ApiClient:
        """``GATEHOUSE_URL`` and ``GATEHOUSE_TOKEN``, or an infrastructure failure."""
        url = os.environ.get("GATEHOUSE_URL", "").rstrip("/")
        token = os.environ.get("GATEHOUSE_TOKEN", "")
        if not url or not token:
            raise _Finished(
                EXIT_INFRASTRUCTURE,
                "set GATEHOUSE_URL (e.g. https://gatehouse.example.com) and GATEHOUSE_TOKEN",
            )
        return cls(base_url=url, token=token)

    def call(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON) of one call; 5xx and transport failures finish with 3."""
        # Imported on the first call: ``--help`` should not pay for the HTTP stack.
        import urllib.error
        import urllib.request

        url = f"{self.base_url}/api/v1{path}"
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        data = b"" if method == "POST" else None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status, raw = int(response.status), response.read()
        except urllib.error.HTTPError as error:
            status, raw = int(error.code), error.read()
        except (OSError, ValueError) as failure:
            raise _Unanswered(
                EXIT_INFRASTRUCTURE, f"cannot reach Gatehouse at {self.base_url}: {failure}"
            ) from None
        try:
            answer = json.loads(raw or b"null")
        except ValueError:
            answer = None
        if status >= 500 or answer is None:
            raise _Unanswered(
                EXIT_INFRASTRUCTURE,
                f"Gatehouse answered HTTP {status} to {method} {path}: {_detail(answer)}",
            )
        if status == 401:
            raise _Finished(EXIT_INFRASTRUCTURE, f"Gatehouse refused the token: {_detail(answer)}")
        return status, answer

    def post_once(self, path: str) -> tuple[int, Any]:
        """POST ``path`` with one ``Idempotency-Key`` for this invocation, sent again with
        the same key when Gatehouse could not be reached, answered 5xx, or still runs the
        first attempt (409): however often it is sent, it takes effect once."""
        key = str(uuid.uuid4())
        for delay in _RETRY_DELAYS_S:
            try:
                status, answer = self.call("POST", path, idempotency_key=key)
            except _Unanswered:
                time.sleep(delay)
                continue
            if not _still_running(status, answer):
                return status, answer
            time.sleep(delay)
        return self.call("POST", path, idempotency_key=key)

    def get_ok(self, path: str, query: dict[str, Any] | None = None) -> Any:
        """GET that must succeed; a 4xx finishes with exit status 1 and the problem's detail."""
        status, body = self.call("GET", path, query)
        if status >= 400:
            raise _Finished(EXIT_DENIED, f"GET {path}: {_detail(body)}")
        return body


def _still_running(status: int, answer: Any) -> bool:
    """Whether a 409 says the first attempt with the same key still runs."""
    kind = answer.get("type", "") if isinstance(answer, dict) else ""
    return status == 409 and str(kind).endswith("/idempotency-key-in-flight")


def _verdict(decision: dict[str, Any]) -> str:
    """ALLOW, DENY or INDETERMINATE (a deny nobody decided: the engine gave no answer)."""
    if decision.get("outcome") == "indeterminate":
        return "INDETERMINATE"
    return "ALLOW" if decision["allow"] else "DENY"


def _could_not_decide(answer: Any) -> _Finished | None:
    """Exit 3 for an answer whose gate decision is indeterminate, else None."""
    if not isinstance(answer, dict) or answer.get("outcome") != "indeterminate":
        return None
    reason = (answer.get("decision") or {}).get("error") or _detail(answer)
    return _Finished(
        EXIT_INFRASTRUCTURE,
        f"could not ask: the policy engine gave no answer ({reason}); nothing moved, try again later",
        answer,
    )


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)
    return "no JSON body"


class _Reporter:
    """Prints what changed: human lines, or (with --json) only the final JSON document."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.last: tuple[Any, ...] | None = None

    def line(self, text: str) -> None:
        if not self.as_json:
            click.echo(text)

    def decision(self, decision: dict[str, Any]) -> None:
        self.line(f"decision {decision['id']}: {_verdict(decision)} {decision['gate']}")
        for violation in decision["violations"]:
            self.line(f"  [{violation['control']}] {violation['citation']}: {violation['message']}")

    def approval(self, approval: dict[str, Any]) -> None:
        votes = tuple((v["voter"], v["role"], v["vote"]) for v in approval["votes"])
        latest = approval["latest_decision"]["id"]
        state = (approval["status"], approval["subject_state"], votes, latest)
        if state == self.last:
            return
        self.last = state
        needs = ", ".join(f"{r['count']} x {r['role']}" for r in approval["required_approvals"])
        self.line(
            f"approval request {approval['id']}: {approval['status']} "
            f"(subject {approval['subject_state']}; needs {needs or 'nothing'}; "
            f"{len(votes)} vote(s): {', '.join(f'{v[0]} ({v[1]}) {v[2]}' for v in votes) or 'none'})"
        )
        for vote in approval["votes"]:
            if vote["vote"] == VoteDecision.REJECT:
                self.line(f"  rejected by {vote['voter']} ({vote['role']}): {vote['comment']}")
        if approval["latest_decision"]["id"] != approval["decision_id"]:
            self.decision(approval["latest_decision"])


def _finish_on_request(approval: dict[str, Any], done_state: str) -> None:
    """Finish when the request is closed; return while it is pending."""
    status = approval["status"]
    if status == ApprovalStatus.APPROVED and approval["subject_state"] == done_state:
        raise _Finished(EXIT_DONE, f"approved: subject is {done_state}", approval)
    if status in (ApprovalStatus.REJECTED, ApprovalStatus.VOID, ApprovalStatus.EXPIRED):
        raise _Finished(
            EXIT_DENIED,
            f"approval request {approval['id']} {status}: {approval['close_reason']}",
            approval,
        )
    if status == ApprovalStatus.APPROVED:
        raise _Finished(
            EXIT_DENIED,
            f"approval request {approval['id']} approved but the subject is {approval['subject_state']}",
            approval,
        )


@dataclass(frozen=True)
class _Waiting:
    """How a command follows its approval request (``--wait``, ``--timeout``, ``--interval``)."""

    wait: bool
    timeout_s: float
    interval_s: float


def _wait(
    client: ApiClient, reporter: _Reporter, request_id: int, *, done_state: str, waiting: _Waiting
) -> None:
    deadline = time.monotonic() + waiting.timeout_s
    while True:
        approval = client.get_ok(f"/approvals/{request_id}")
        reporter.approval(approval)
        _finish_on_request(approval, done_state)
        if not waiting.wait:
            raise _Finished(
                EXIT_DONE, f"approval request {request_id} is pending (not waiting)", approval
            )
        if time.monotonic() >= deadline:
            raise _Finished(
                EXIT_TIMEOUT,
                f"timed out after {waiting.timeout_s:.0f}s; approval request {request_id} is still {approval['status']}",
                approval,
            )
        time.sleep(min(waiting.interval_s, max(0.0, deadline - time.monotonic())))


def _request(
    client: ApiClient, reporter: _Reporter, path: str, subject_type: str, subject_id: int
) -> int:
    """POST the transition request (retried safely); the id of the request to wait on."""
    status, body = client.post_once(path)
    if status == 409 and body.get("current") in (
        DeploymentState.PROMOTION_REQUESTED,
        RunState.SUBMITTED,
    ):
        # Another pipeline asked first: wait on the request it opened.
        pending = client.get_ok(
            "/approvals",
            {
                "subject_type": subject_type,
                "subject_id": subject_id,
                "status": ApprovalStatus.PENDING,
            },
        )["items"]
        if pending:
            reporter.line(f"already requested: following approval request {pending[-1]['id']}")
            return int(pending[-1]["id"])
    if status >= 400:
        raise _Finished(EXIT_DENIED, f"refused: {_detail(body)}", body)
    reporter.decision(body["decision"])
    undecided = _could_not_decide(body)
    if undecided is not None:
        raise undecided
    if body["approval_request"] is None:
        raise _Finished(EXIT_DENIED, "denied by the gate", body)
    return int(body["approval_request"]["id"])


def _run_door(as_json: bool, action: Any) -> None:
    """Run ``action(client, reporter)`` and turn its finish into output and exit status."""
    reporter = _Reporter(as_json)
    try:
        action(ApiClient.from_environment(), reporter)
    except _Finished as finished:
        if as_json:
            click.echo(
                json.dumps(
                    {"exit_code": finished.code, "message": str(finished), **finished.document},
                    indent=2,
                    sort_keys=True,
                )
            )
        else:
            click.echo(str(finished), err=finished.code != EXIT_DONE)
        raise SystemExit(finished.code) from None


def call_once(
    as_json: bool,
    path: str,
    body: dict[str, Any] | None,
    *,
    refused: str,
    done: Callable[[dict[str, Any]], str],
) -> None:
    """One ``POST path`` as a whole command: exit 0 printing ``done(answer)``, 1 printing
    ``refused: <the problem's detail>`` on a 4xx, 3 when Gatehouse cannot be asked or its
    gate could not decide."""

    def action(client: ApiClient, reporter: _Reporter) -> None:
        status, answer = client.call("POST", path, body=body)
        if status >= 400:
            raise _could_not_decide(answer) or _Finished(
                EXIT_DENIED, f"{refused}: {_detail(answer)}", answer
            )
        raise _Finished(EXIT_DONE, done(answer), answer)

    _run_door(as_json, action)


def read_once(path: str, query: dict[str, Any], show: Callable[[dict[str, Any]], str]) -> None:
    """One ``GET path`` as a whole command: exit 0 printing ``show(answer)``, 1 printing the
    problem's detail on a 4xx, 3 when Gatehouse cannot be asked."""

    def action(client: ApiClient, _reporter: _Reporter) -> None:
        raise _Finished(EXIT_DONE, show(client.get_ok(path, query)))

    _run_door(False, action)


_wait_options = [
    click.option("--wait", is_flag=True, help="Wait until approved, rejected or timed out."),
    click.option(
        "--timeout",
        default="30m",
        show_default=True,
        help="How long --wait waits (90s, 30m, 2h); exit 2 when it runs out.",
    ),
    click.option(
        "--interval",
        default=5.0,
        show_default=True,
        type=click.FloatRange(0.05, 600),
        help="Seconds between two status reads.",
    ),
    click.option("--json", "as_json", is_flag=True, help="Print one final JSON document."),
]


def _with_wait_options(command: Callable[..., None]) -> Any:
    """Add the wait options and ``--json``; the command receives them as ``waiting`` (the
    timeout parsed, so a bad one is refused before Gatehouse is asked) and ``as_json``."""

    @functools.wraps(command)
    def with_waiting(*args: Any, wait: bool, timeout: str, interval: float, **kwargs: Any) -> None:
        command(*args, waiting=_Waiting(wait, parse_duration(timeout), interval), **kwargs)

    for option in reversed(_wait_options):
        with_waiting = option(with_waiting)
    return with_waiting


def _resolve_model(client: ApiClient, model_version: str) -> dict[str, Any]:
    """The model version ``model_version`` names (its id, ``name@version``, or a name with
    one version), resolved by Gatehouse as every other door resolves it."""
    return dict(client.get_ok("/models/named", {"ref": model_version}))


#: The deployment states a promotion can start from.
_PROMOTABLE = (
    DeploymentState.STAGING,
    DeploymentState.SUSPENDED,
    DeploymentState.PROMOTION_REQUESTED,
)


def _resolve_deployment(
    client: ApiClient, model: dict[str, Any], deployment_id: int | None
) -> dict[str, Any]:
    if deployment_id is not None:
        deployment = dict(client.get_ok(f"/deployments/{deployment_id}"))
        if deployment["model_version_id"] != model["id"]:
            raise _Finished(
                EXIT_DENIED,
                f"deployment {deployment_id} does not serve model version {model['id']}",
            )
        return deployment
    deployments = client.get_ok("/deployments", {"model_version_id": model["id"], "limit": 200})[
        "items"
    ]
    candidates = [d for d in deployments if d["state"] in _PROMOTABLE]
    if not candidates and any(d["state"] == DeploymentState.PRODUCTION for d in deployments):
        raise _Finished(EXIT_DONE, f"model version {model['id']} is already in production")
    if len(candidates) != 1:
        raise _Finished(
            EXIT_DENIED,
            f"model version {model['id']} has {len(candidates)} deployments that could be promoted; "
            "choose one with --deployment",
        )
    return dict(candidates[0])


@click.command("promote")
@click.argument("model_version")
@click.option(
    "--to", "target", type=click.Choice(["production"]), required=True, help="Target environment."
)
@click.option("--deployment", "deployment_id", type=int, default=None, help="Deployment id.")
@_with_wait_options
def promote_command(
    model_version: str,
    target: str,
    deployment_id: int | None,
    waiting: _Waiting,
    as_json: bool,
) -> None:
    """Promote MODEL_VERSION (id or name@version) to production through the promotion gate.

    Exit 0 approved (production), 1 denied/rejected, 2 timeout, 3 could not ask
    (infrastructure error, or the policy engine gave no answer).
    """

    def action(client: ApiClient, reporter: _Reporter) -> None:
        model = _resolve_model(client, model_version)
        deployment = _resolve_deployment(client, model, deployment_id)
        reporter.line(
            f"promoting {model['name']}@{model['version']} (deployment {deployment['id']}, {deployment['state']}) to {target}"
        )
        request_id = _request(
            client,
            reporter,
            f"/deployments/{deployment['id']}/promote",
            GateSubject.DEPLOYMENT,
            int(deployment["id"]),
        )
        _wait(client, reporter, request_id, done_state=DeploymentState.PRODUCTION, waiting=waiting)

    _run_door(as_json, action)


@click.group("run")
def run_group() -> None:
    """Fine-tune runs, for pipelines."""


@run_group.command("submit")
@click.argument("run_id", metavar="RUN", type=int)
@_with_wait_options
def run_submit(run_id: int, waiting: _Waiting, as_json: bool) -> None:
    """Submit draft RUN through the training_launch gate and its approval.

    Exit 0 approved, 1 denied/rejected, 2 timeout, 3 could not ask (infrastructure
    error, or the policy engine gave no answer).
    """

    def action(client: ApiClient, reporter: _Reporter) -> None:
        request_id = _request(client, reporter, f"/runs/{run_id}/submit", GateSubject.RUN, run_id)
        _wait(client, reporter, request_id, done_state=RunState.APPROVED, waiting=waiting)

    _run_door(as_json, action)


@run_group.command("launch")
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one final JSON document.")
def run_launch(run_id: int, as_json: bool) -> None:
    """Launch approved RUN: the training_launch gate is asked again first.

    Exit 0 launched, 1 refused (gate deny, changed evidence, launcher failure), 3 could not
    ask (infrastructure error, or the policy engine gave no answer).
    """

    call_once(
        as_json,
        f"/runs/{run_id}/launch",
        None,
        refused="launch refused",
        done=lambda body: (
            f"run {run_id} is {body['state']} on the {body['launcher_kind']} launcher ({body['launcher_ref']})"
        ),
    )


@run_group.command("cancel")
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--reason", default="", help="Why (ledgered with the cancellation).")
@click.option("--json", "as_json", is_flag=True, help="Print one final JSON document.")
def run_cancel(run_id: int, reason: str, as_json: bool) -> None:
    """Cancel RUN; a running run's training is stopped first (its Job deleted).

    Exit 0 cancelled, 1 refused (already finished, not allowed), 3 infrastructure error.
    """

    call_once(
        as_json,
        f"/runs/{run_id}/cancel",
        {"reason": reason},
        refused="cancel refused",
        done=lambda body: (
            f"run {run_id} is {body['state']}"
            + (f": {body['launcher_detail']}" if body.get("launcher_detail") else "")
        ),
    )
