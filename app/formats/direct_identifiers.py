"""Direct identifiers in a short free text (a vote comment, a reason), found without presidio.

Free text a person types into Gatehouse may end in the hash-chained ledger, which cannot
forget: a social security number or a patient's e-mail address written there makes an
erasure impossible. :func:`direct_identifiers` names the kinds of direct identifier a
text holds, so the service can refuse it before anything is stored.

It runs on every vote, so it uses plain regular expressions: presidio (what the dataset
scan uses, :mod:`app.formats.recognizers`) takes seconds to import and build in each
process and milliseconds per short text; these patterns take microseconds (figures from
``bench/free_text_check.py`` in the README). They are the same kinds presidio finds, written for text a person types:
an SSN (area, group and serial not zero, area not 666 or 9xx), an e-mail address, a phone
number in the usual written forms, a payment card (13 to 19 digits passing Luhn), an
IBAN (passing its mod-97 check) or a labelled account number, and a labelled medical
record number (:mod:`app.formats.labelled_patterns`, shared with the scan). Person names
are allowed: reviewers name colleagues, and without a model names cannot be told apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from app.formats.labelled_patterns import LABELLED_PATTERNS

__all__ = ["KINDS", "direct_identifiers"]

_SSN = re.compile(
    r"(?<![\d-])(?!000|666|9\d\d)\d{3}(?P<sep>[- ])(?!00)\d{2}(?P=sep)(?!0000)\d{4}(?![\d-])"
    r"|(?i:\b(?:ssn|social\s+security(?:\s+number)?)\b\s*(?:no\.?|number|#)?\s*[:#]?\s*)"
    r"(?!000|666|9\d\d)\d{3}(?!00)\d{2}(?!0000)\d{4}\b"
)
_EMAIL = re.compile(r"\b[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    # North American: (555) 123-4567, 555-123-4567, 555.123.4567, +1 555 123 4567.
    r"(?<![\w+.-])(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w.-])"
    # International, written with its country code: +44 20 7946 0958.
    r"|(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w-])"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _iban_checks(text: str) -> bool:
    compact = text.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _labelled(entity: str) -> Callable[[str], bool]:
    """A labelled pattern of the scan whose value holds a digit (a number, not a word)."""
    patterns = [re.compile(p) for name, p in LABELLED_PATTERNS if name == entity]
    return lambda text: any(
        any(c.isdigit() for c in match.group("value"))
        for pattern in patterns
        for match in pattern.finditer(text)
    )


_LABELLED_ACCOUNT = _labelled("GH_ACCOUNT")

#: Each kind of direct identifier, as a refusal names it, and how it is found.
KINDS: dict[str, Callable[[str], bool]] = {
    "social security number": lambda text: _SSN.search(text) is not None,
    "e-mail address": lambda text: _EMAIL.search(text) is not None,
    "phone number": lambda text: any(
        7 <= len(_digits(m.group())) <= 15 for m in _PHONE.finditer(text)
    ),
    "payment card number": lambda text: any(
        _luhn(_digits(m.group())) for m in _CARD.finditer(text)
    ),
    "account number": lambda text: (
        any(_iban_checks(m.group()) for m in _IBAN.finditer(text)) or _LABELLED_ACCOUNT(text)
    ),
    "medical record number": _labelled("GH_MRN"),
}


def direct_identifiers(text: str) -> list[str]:
    """The kinds of direct identifier ``text`` holds (never the values), in KINDS order."""
    return [kind for kind, found in KINDS.items() if found(text)]
