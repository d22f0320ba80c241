"""Gatehouse's own identifier patterns: what presidio lacks, or what only a label tells apart.

A medical record, account or health plan number looks like any other number; the label
before it ("MRN", "account #") says what it is. ZIP codes, street addresses, dates with
month names and names after a title are here too. These regexes are shared by the
dataset scanner (:mod:`app.formats.recognizers`, through presidio) and by the free-text
check (:mod:`app.formats.direct_identifiers`, without it): importing them loads neither
presidio nor spaCy.
"""

from __future__ import annotations

__all__ = ["LABELLED_PATTERNS"]

_VALUE = r"(?P<value>[A-Z0-9][A-Z0-9-]{3,19})\b"
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_LABEL_GAP = r"\s*(?:number|no\.?|num\.?|#|id)?\s*[:#]?\s*"
#: (entity, pattern with a ``value`` group): the value is what gets reported.
LABELLED_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "GH_ZIP",
        r"(?:\b[A-Z]{2}\s+|(?i:\b(?:zip|zip\s*code|zipcode|postal\s*code)\b)\s*[:#]?\s*)"
        r"(?P<value>\d{5}(?:-\d{4})?)\b",
    ),
    ("GH_MRN", r"(?i:\b(?:mrn|medical\s+record)" + _LABEL_GAP + r")" + _VALUE),
    (
        "GH_HEALTH_PLAN",
        r"(?i:\b(?:health\s+plan|member|subscriber|policy|insurance|beneficiary)"
        + _LABEL_GAP
        + r")"
        + _VALUE,
    ),
    (
        "GH_ACCOUNT",
        r"(?i:\b(?:account|acct)" + _LABEL_GAP + r")(?P<value>[A-Z0-9][A-Z0-9-]{5,19})\b",
    ),
    (
        "GH_LICENCE",
        r"(?i:\b(?:licen[cs]e|driver'?s?\s+licen[cs]e|DL|certificate)" + _LABEL_GAP + r")" + _VALUE,
    ),
    (
        "GH_VEHICLE",
        r"(?i:\b(?:vin|vehicle\s+identification|licen[cs]e\s+plate|plate)"
        + _LABEL_GAP
        + r")"
        + r"(?P<value>[A-Z0-9][A-Z0-9-]{1,16})\b",
    ),
    ("GH_VEHICLE", r"\b(?P<value>[A-HJ-NPR-Z0-9]{17})\b(?<=[0-9][A-HJ-NPR-Z0-9]{16})"),
    ("GH_DEVICE", r"(?i:\b(?:serial|device|imei|udi)" + _LABEL_GAP + r")" + _VALUE),
    (
        "GH_ADDRESS",
        r"(?P<value>\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}"
        r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Court|Ct|Way|Place|Pl)\b\.?)",
    ),
    ("GH_DATE", r"(?P<value>\b" + _MONTH + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b)"),
    ("GH_DATE", r"(?P<value>\b\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH + r"\.?,?\s+\d{4}\b)"),
    ("GH_NAME", r"(?P<value>\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"),
    (
        "GH_NAME",
        r"(?i:\b(?:patient|name|client)\s*:\s*)(?P<value>[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})",
    ),
)
