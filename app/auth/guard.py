"""Role checks on every route, denied by default.

Each view declares who may call it with :func:`allow` (roles, and the token scope an API
call needs) or :func:`public`. A request to a view without a declaration is refused, so a
new route is closed until someone decides who may use it. The API authenticates bearer
tokens only; the portal uses the session cookie (with CSRF on every form), which is not
even opened for an API request (:class:`PortalSessionInterface`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Request, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlmodel import select

from app.auth.accounts import Principal, authenticate_token, roles_of
from app.auth.errors import AuthenticationError, RoleRequiredError
from app.db import read_only_connection, read_only_unit_of_work
from app.models.users import User
from app.problems import API_PREFIX, is_api_request

F = TypeVar("F", bound=Callable[..., Any])

_ATTRIBUTE = "__gatehouse_access__"


@dataclass(frozen=True)
class Access:
    """Who may call a view: any of ``roles``; through a token, only with ``scope``."""

    roles: frozenset[str]
    scope: str | None
    public: bool = False


def allow(*roles: str, scope: str | None = None) -> Callable[[F], F]:
    """Declare the roles (and API token scope) a view needs."""

    def mark(view: F) -> F:
        setattr(view, _ATTRIBUTE, Access(roles=frozenset(roles), scope=scope))
        return view

    return mark


def public(view: F) -> F:
    """Declare a view open to anyone (health checks, login, API docs)."""
    setattr(view, _ATTRIBUTE, Access(roles=frozenset(), scope=None, public=True))
    return view


def access_of(view: Callable[..., Any]) -> Access | None:
    """The declaration on a view, if any."""
    return getattr(view, _ATTRIBUTE, None)


def current_principal() -> Principal:
    """The authenticated principal of this request (set by the guard)."""
    principal: Principal | None = g.get("principal")
    if principal is None:
        raise AuthenticationError("not authenticated")
    return principal


def _bearer_principal() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationError("missing bearer token: send 'Authorization: Bearer <token>'")
    with read_only_connection() as connection:
        return authenticate_token(connection=connection, secret=secret.strip())


def _session_principal() -> Principal | None:
    username = session.get("username")
    if not username:
        return None
    with read_only_unit_of_work() as db:
        user = db.exec(select(User).where(User.username == username)).first()
        if user is None or not user.is_active or session.get("epoch") != user.session_epoch:
            session.clear()
            return None
        return Principal(
            username=user.username, roles=roles_of(session=db, user=user), via="session"
        )


def _enforce() -> Any:
    if request.endpoint is None:
        return None  # no route: the 404/405 handler answers
    view = current_app.view_functions[request.endpoint]
    access = access_of(view)
    if access is None:
        raise RoleRequiredError(
            f"route '{request.endpoint}' declares no access rule and is denied by default"
        )
    if access.public:
        return None
    if is_api_request():
        principal = _bearer_principal()
    else:
        found = _session_principal()
        if found is None:
            if request.method == "GET":
                return redirect(url_for("web_auth.login", next=request.full_path))
            raise AuthenticationError("log in first")
        principal = found
    g.principal = principal
    if not principal.roles & access.roles:
        raise RoleRequiredError(
            f"'{principal.username}' holds {', '.join(sorted(principal.roles)) or 'no role'}; "
            f"this needs one of: {', '.join(sorted(access.roles))}"
        )
    if (
        principal.via == "token"
        and access.scope is not None
        and access.scope not in principal.scopes
    ):
        raise RoleRequiredError(f"this API token lacks the '{access.scope}' scope")
    return None


class PortalSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, opened for the portal only.

    An API request authenticates with its bearer token alone, so its session is Flask's
    null session: a cookie sent along is never read (it cannot act for the caller), and no
    request pays for building the cookie's signer, reading it and checking it again before
    the answer (about 0.05 ms of a gate call). Writing to the null session raises.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The portal's session; the null session for an API request."""
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Run the access check before every request; open sessions for the portal only."""
    app.session_interface = PortalSessionInterface()
    app.before_request(_enforce)
