"""Failed portal logins counted per client address, against password spraying.

The account lockout (``app.auth.login``) stops guessing one account's password; it does
not stop one address trying a common password once on every account. This throttle counts
failed logins per client address over a moving window of :data:`WINDOW`; past the bound,
logins from that address are refused without a password check until the window moves on.

The counts live in the web process's memory: no address is stored, ledgered or logged (an
IP address is personal data), a restart forgets them, and each gunicorn worker counts on
its own (three workers: up to three times the bound). Behind a proxy, set
``GATEHOUSE_TRUSTED_PROXIES``, or every client counts as the proxy's one address.
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["WINDOW_MINUTES", "LoginThrottle"]

#: Minutes over which an address's failed logins are counted.
WINDOW_MINUTES = 10


class LoginThrottle:
    """Failed logins per address in the last :data:`WINDOW_MINUTES`, bounded."""

    def __init__(self, failures_per_window: int) -> None:
        """``failures_per_window`` failed logins are allowed per address; 0 counts none."""
        self._bound = (
            RateLimitItemPerMinute(failures_per_window, WINDOW_MINUTES)
            if failures_per_window
            else None
        )
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def refuses(self, address: str) -> bool:
        """Whether ``address`` has used up its failed logins for now."""
        return self._bound is not None and not self._limiter.test(self._bound, address)

    def count_failure(self, address: str) -> None:
        """Count one failed login from ``address``."""
        if self._bound is not None:
            self._limiter.hit(self._bound, address)
