"""The README inside an evidence bundle: what it holds and how to check it without us."""

from __future__ import annotations

from app.reports.prepared import Period

__all__ = ["readme_text"]

_TEMPLATE = """# Evidence bundle: {organisation}, {period}

This zip is the evidence Gatehouse holds for the period {start} to {end}. Everything in it
can be checked offline, without access to Gatehouse or its database.

## Check it with one command

    gatehouse evidence verify bundle.zip [--trust organisation-root.pem]

It exits 0 when every check below holds and names every file that fails otherwise.
Without `--trust` a self-signed signer is accepted as "intact, signer not proven":
compare the signer fingerprint it prints with the one the organisation publishes.

## What is checked, and how to check it by hand

1. `manifest.json` lists every file with its SHA-256 and size; `manifest.json.sig` is a
   detached CMS (PKCS #7) signature over `manifest.json`, base64-encoded, e.g.
   `base64 -d manifest.json.sig > sig.der && openssl cms -verify -inform DER -in sig.der
   -content manifest.json -binary -noverify -out /dev/null`. Then `sha256sum` each file.
2. `reports/*.pdf` are PAdES-signed PDFs: any PDF signature validator (pyHanko, Adobe
   Reader) shows whether each is intact; their SHA-256 must equal `pdf_sha256` in the
   manifest, which is also recorded in the ledger's `report.generated` event.
3. `ledger/events.jsonl` is the hash chain from its first event: each event's `hash` is
   SHA-256 over the canonical JSON (sorted keys, no spaces) of its `seq`, `occurred_at`,
   `actor`, `action`, `subject_type`, `subject_id`, `payload_sha256` and `prev_hash`;
   `payload_sha256` is SHA-256 of the canonical JSON of `payload`; the first `prev_hash`
   is 64 zeros.
4. `ledger/checkpoints/*.json` are signed statements of the ledger head (sequence number,
   head hash, RFC 6962 Merkle root over the event hashes): the signature is a detached CMS
   signature over the canonical JSON of `statement`; the head and the root must match the
   events.
5. `policy/` holds the Rego modules and data the decisions were evaluated with; the
   SHA-256 in the manifest is recomputed over each module's path and bytes (in path order),
   then `data.json` (and the installation's `extra-data.json`, if present).
6. `oscal/*.json` are OSCAL {oscal_version} assessment results (one for the period, one
   per production-promotion decision); they validate against the OSCAL {oscal_version}
   assessment-results JSON Schema, and each finding's `target-id` is a control id of
   `controls/catalogue.json` (which maps it to NIST AI RMF and ISO/IEC 42001).
"""


def readme_text(*, period: Period, organisation: str, oscal_version: str) -> str:
    """The README for a bundle of ``period``."""
    return _TEMPLATE.format(
        organisation=organisation,
        period=period.label,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        oscal_version=oscal_version,
    )
