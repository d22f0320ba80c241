"""Free text that the ledger keeps holds no direct identifier.

A vote's comment, a transition's, a supersession's or an account deactivation's reason,
the answer to a denial, an attestation's evidence reference, an attestation's or a
reclassification's justification, an erasure request's reference and
resolution, an incident's title, description and resolution and a decision on a red-team
finding are written into the hash-chained ledger, which cannot forget: a patient's SSN
typed there would make a GDPR erasure impossible without breaking the chain. Each service
that takes such text calls :func:`refuse_direct_identifiers` before it stores anything,
so the API, the CLI and the portal refuse it alike (422, naming the field and the kind
of identifier, never the value). What counts as a direct identifier, and why the check
is plain regular expressions rather than presidio, is in
:mod:`app.formats.direct_identifiers`.
"""

from __future__ import annotations

from app.formats.direct_identifiers import direct_identifiers
from app.ledger.errors import DirectIdentifierError

__all__ = ["refuse_direct_identifiers"]


def refuse_direct_identifiers(*, field: str, text: str) -> None:
    """Raise :class:`DirectIdentifierError` when ``text`` (the request's ``field``) holds one."""
    kinds = direct_identifiers(text)
    if kinds:
        raise DirectIdentifierError(field=field, kinds=kinds)
