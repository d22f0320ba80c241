"""The PII/PHI detector: presidio-analyzer pattern recognizers on a blank spaCy pipeline.

Presidio's maintained recognizers find e-mail, phone/fax, SSN, payment card (Luhn),
IBAN (checksum), IP address, date and URL. Ours add what presidio lacks or what
needs a label to be told apart from any other number: ZIP codes (after a state code
or a "ZIP" label), dates written with month names, medical record, health plan, account, licence, vehicle and device
numbers (after their labels, VINs also by shape), street addresses, and names after
a title or a "patient/name" label. No spaCy model is loaded, so there is no NER:
names without such a cue are not detected (see docs/pii-scan.md).

Building the analyzer costs about a second, so :func:`analyzer` builds it once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import spacy
import tldextract
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    DateRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    MedicalLicenseRecognizer,
    PhoneRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

from app.formats.labelled_patterns import LABELLED_PATTERNS

__all__ = [
    "CATEGORY_OF_ENTITY",
    "MIN_SCORE",
    "WINDOW_CHARS",
    "WINDOW_OVERLAP",
    "analyzer",
    "find_identifiers",
]

#: Results scoring below this are ignored (presidio's phone numbers score 0.4).
MIN_SCORE = 0.4
_LABELLED_SCORE = 0.85

#: Our category name for each presidio entity.
CATEGORY_OF_ENTITY = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone_fax",
    "US_SSN": "ssn",
    "CREDIT_CARD": "payment_card",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip_address",
    "DATE_TIME": "date",
    "URL": "url",
    "MEDICAL_LICENSE": "licence_number",
    "GH_ZIP": "zip_code",
    "GH_ADDRESS": "geographic",
    "GH_MRN": "medical_record_number",
    "GH_HEALTH_PLAN": "health_plan_number",
    "GH_ACCOUNT": "account_number",
    "GH_LICENCE": "licence_number",
    "GH_VEHICLE": "vehicle_identifier",
    "GH_DEVICE": "device_identifier",
    "GH_NAME": "name",
    "GH_DATE": "date",
}


class _BlankSpacyEngine(SpacyNlpEngine):
    """presidio's spaCy engine over ``spacy.blank("en")``: tokenises, needs no model download."""

    def load(self) -> None:
        self.nlp = {"en": spacy.blank("en")}  # type: ignore[assignment]


class _LabelledPatternRecognizer(EntityRecognizer):
    """Reports the ``value`` group of a regex whose other part is a label or context cue."""

    def __init__(self, entity: str, patterns: list[str]) -> None:
        self._patterns = [re.compile(p) for p in patterns]
        super().__init__(
            supported_entities=[entity], name=f"Gatehouse{entity}", supported_language="en"
        )

    def load(self) -> None:
        """Nothing to load."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Every match of every pattern, at the span of its value."""
        entity = self.supported_entities[0]
        return [
            RecognizerResult(entity, match.start("value"), match.end("value"), _LABELLED_SCORE)
            for pattern in self._patterns
            for match in pattern.finditer(text)
        ]


def _use_bundled_public_suffix_list() -> None:
    # presidio's e-mail and URL checks call tldextract, which would otherwise try to
    # download the public suffix list; its bundled snapshot is enough and offline.
    tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls = ()


@functools.cache
def analyzer() -> AnalyzerEngine:
    """The process-wide analyzer (built on first use, then reused: start-up is slow)."""
    _use_bundled_public_suffix_list()
    engine = _BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        EmailRecognizer(),
        PhoneRecognizer(),
        UsSsnRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        DateRecognizer(),
        UrlRecognizer(),
        MedicalLicenseRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    grouped: dict[str, list[str]] = {}
    for entity, pattern in LABELLED_PATTERNS:
        grouped.setdefault(entity, []).append(pattern)
    for entity, patterns in grouped.items():
        registry.add_recognizer(_LabelledPatternRecognizer(entity, patterns))
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier found in a text: its category and span."""

    category: str
    start: int
    end: int


_YEAR_ONLY = re.compile(r"^\D{0,12}\d{4}\D{0,3}$")


#: Texts longer than this are scanned in overlapping windows: spaCy refuses a text over
#: its ``max_length`` (1,000,000 characters), and one window keeps memory bounded.
WINDOW_CHARS = 200_000
#: Overlap between windows; any identifier shorter than half of it is seen whole in the
#: window that owns its first character (the longest we find is a ~60-character address).
WINDOW_OVERLAP = 2_000


def _windows(length: int) -> list[tuple[int, int, int, int]]:
    """(start, end, owned from, owned to) of each window over a text of ``length``."""
    if length <= WINDOW_CHARS:
        return [(0, length, 0, length)]
    half = WINDOW_OVERLAP // 2
    step = WINDOW_CHARS - WINDOW_OVERLAP
    windows = []
    for start in range(0, length, step):
        end = min(start + WINDOW_CHARS, length)
        owned_from = start + half if start else 0
        owned_to = end - half if end < length else length
        windows.append((start, end, owned_from, owned_to))
        if end == length:
            break
    return windows


def _analyze(text: str) -> list[RecognizerResult]:
    """Presidio's results over the whole text, window by window for long texts.

    Each result is kept by exactly one window: the one whose owned stretch holds the
    result's first character, so an identifier in an overlap is not counted twice and
    one cut by a window's edge is taken from the window that sees it whole.
    """
    engine = analyzer()
    results: list[RecognizerResult] = []
    for start, end, owned_from, owned_to in _windows(len(text)):
        for found in engine.analyze(text=text[start:end], language="en", score_threshold=MIN_SCORE):
            found.start += start
            found.end += start
            if owned_from <= found.start < owned_to:
                results.append(found)
    return results


def find_identifiers(text: str) -> list[Identifier]:
    """Identifiers in ``text`` of any length, overlaps resolved (higher score, then longer span)."""
    results = _analyze(text)
    kept: list[RecognizerResult] = []
    ranked = sorted(results, key=lambda r: (-r.score, -(r.end - r.start), r.start))
    for result in ranked:
        if result.entity_type == "DATE_TIME" and _YEAR_ONLY.match(text[result.start : result.end]):
            continue  # a year alone is allowed under Safe Harbor
        if any(result.start < other.end and other.start < result.end for other in kept):
            continue
        kept.append(result)
    return [
        Identifier(CATEGORY_OF_ENTITY[r.entity_type], r.start, r.end)
        for r in sorted(kept, key=lambda r: r.start)
    ]
