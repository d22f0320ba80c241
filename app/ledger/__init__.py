"""The tamper-evident ledger: the hash chain, its Merkle tree and signed checkpoints.

:mod:`app.ledger.chain` appends and verifies events (re-exported here, as every
service ledgers through :func:`append_event`); :mod:`app.ledger.merkle` holds the
RFC 6962 tree and proofs, :mod:`app.ledger.checkpoints` the signed heads an outside
party can keep, and :mod:`app.ledger.progress` the incremental verification the portal
shows.
"""

from app.ledger import chain
from app.ledger.chain import *  # noqa: F403  (the chain's public names are the package's)

__all__ = chain.__all__
