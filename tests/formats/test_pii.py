"""PII/PHI scan: recall on planted identifiers, false finds on clean text, no raw values out."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from app.formats import classify, scan_file
from app.formats.pii import mask
from app.formats.recognizers import WINDOW_CHARS, WINDOW_OVERLAP, find_identifiers

PER_CATEGORY = 60
_AREA_CODES = ("212", "617", "415", "312", "206", "303", "404", "512", "702", "919")
_FIRST = ("maria", "li", "omar", "jane", "kwame", "ana", "ravi", "sofia")
_DOMAINS = ("example.com", "mail.example.org", "clinic-example.net", "uni.example.edu")
_MONTHS = ("January", "March", "June", "September", "November")


def _luhn_complete(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return digits + str((10 - total % 10) % 10)


def _email(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)}.{rng.choice(_FIRST)}{rng.randint(1, 99)}@{rng.choice(_DOMAINS)}"


def _phone(rng: random.Random) -> str:
    area, exchange, line = rng.choice(_AREA_CODES), rng.randint(200, 999), rng.randint(1000, 9999)
    return rng.choice(
        (
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"+1 {area} {exchange} {line}",
            f"{area}.{exchange}.{line}",
        )
    )


def _ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _card(rng: random.Random) -> str:
    number = _luhn_complete(
        rng.choice(("4", "51", "55")) + "".join(str(rng.randint(0, 9)) for _ in range(13))
    )
    number = number[:16].ljust(16, "0") if len(number) != 16 else number
    number = _luhn_complete(number[:15])
    groups = [number[i : i + 4] for i in range(0, 16, 4)]
    return rng.choice((" ".join(groups), "-".join(groups), number))


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"2001:db8:{rng.randint(1, 9999):x}::{rng.randint(1, 9999):x}"
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


def _date(rng: random.Random) -> str:
    year, month, day = rng.randint(1940, 2024), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        (
            f"{month:02d}/{day:02d}/{year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{rng.choice(_MONTHS)} {day}, {year}",
        )
    )


def _zip(rng: random.Random) -> str:
    return f"{rng.randint(1001, 99950):05d}" + (
        f"-{rng.randint(1, 9999):04d}" if rng.random() < 0.3 else ""
    )


GENERATORS: dict[str, tuple[Callable[[random.Random], str], str]] = {
    "email": (_email, "Please reach the patient at {} before the follow-up."),
    "phone_fax": (_phone, "Her callback number is {} if the clinic needs to reschedule."),
    "ssn": (_ssn, "The intake form lists social security number {} for billing."),
    "payment_card": (_card, "He paid the copay with card {} at the front desk."),
    "ip_address": (_ip, "The portal login came from address {} last night."),
    "date": (_date, "The patient was admitted on {} with chest pain."),
    "zip_code": (_zip, "She lives in Springfield, IL {} near the river."),
}
CLEAN_SENTENCES = (
    "Explain how photosynthesis converts light into chemical energy.",
    "List three prime numbers greater than 10 and explain why they are prime.",
    "Step 1: add 12 and 30. Step 2: divide by 6. Therefore the answer is 7.",
    "The recipe needs 2 cups of flour, 3 eggs and 250 grams of sugar.",
    "Version 3.2 of the library was released in 2021 with 14 new features.",
    "Summarise the plot of a novel about a lighthouse keeper in 300 words.",
    "A train travels 120 km in 1.5 hours; what is its average speed?",
    "Compare bubble sort and merge sort in terms of time complexity.",
)


def _planted(category: str, seed: int) -> list[tuple[str, str]]:
    make, template = GENERATORS[category]
    rng = random.Random(seed)
    return [(value, template.format(value)) for value in (make(rng) for _ in range(PER_CATEGORY))]


@pytest.mark.parametrize("category", sorted(GENERATORS))
def test_recall_per_structured_category(category: str) -> None:
    planted = _planted(category, seed=sorted(GENERATORS).index(category) + 7)
    found = 0
    for value, text in planted:
        start = text.index(value)
        hits = find_identifiers(text)
        if any(
            h.category == category and h.start <= start and h.end >= start + len(value) - 1
            for h in hits
        ):
            found += 1
    recall = found / len(planted)
    print(f"{category}: recall {recall:.3f} over {len(planted)} planted")
    assert recall >= 0.95


def test_false_finds_on_clean_text_are_rare() -> None:
    finds = [(text, h.category) for text in CLEAN_SENTENCES for h in find_identifiers(text)]
    rate = len(finds) / len(CLEAN_SENTENCES)
    print(
        f"clean text: {len(finds)} false finds in {len(CLEAN_SENTENCES)} sentences ({rate:.2f} per sentence): {finds}"
    )
    assert rate <= 0.25


def _corpus(tmp_path: Path) -> tuple[Path, list[str]]:
    raw_values: list[str] = []
    lines = []
    for category in sorted(GENERATORS):
        for value, text in _planted(category, seed=99)[:10]:
            raw_values.append(value)
            record = {
                "messages": [
                    {"role": "user", "content": text},
                    {"role": "assistant", "content": "Noted."},
                ]
            }
            lines.append(json.dumps(record))
    lines += [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": s},
                    {"role": "assistant", "content": "Sure."},
                ]
            }
        )
        for s in CLEAN_SENTENCES
    ]
    path = tmp_path / "planted.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path, raw_values


def test_scan_report_counts_locations_and_never_holds_raw_values(tmp_path: Path) -> None:
    path, raw_values = _corpus(tmp_path)
    report = scan_file(path, format="openai_chat")
    by_category = {f.category: f for f in report.findings}
    for category in GENERATORS:
        assert by_category[category].records >= 10, category
    ssn = by_category["ssn"]
    assert ssn.locations[0].field == "messages[0].content"
    assert all(sample.startswith("***-**-") for sample in ssn.masked_samples)
    dumped = json.dumps(report.to_dict())
    leaked = [value for value in raw_values if value in dumped]
    assert leaked == []
    classification = classify(report)
    assert classification.contains_pii and classification.contains_phi  # "patient", "admitted"
    assert set(classification.categories) >= set(GENERATORS)


def test_classify_clean_dataset_has_no_pii() -> None:
    report = scan_file(Path(__file__).parent / "fixtures" / "valid" / "llama_io.jsonl")
    classification = classify(report)
    assert not classification.contains_pii and not classification.contains_phi
    assert report.records_scanned == 2


def test_labelled_health_identifiers_and_names(tmp_path: Path) -> None:
    text = "Dr. Alice Wong saw the patient, MRN: 88231-A, member id XK9921773, at 12 Maple Street."
    categories = {h.category for h in find_identifiers(text)}
    assert {"name", "medical_record_number", "health_plan_number", "geographic"} <= categories


def test_year_alone_is_not_a_date() -> None:
    assert not [
        h
        for h in find_identifiers("The study ran in 2019 and again in 2021.")
        if h.category == "date"
    ]


def test_mask_hides_all_but_the_last_two_characters() -> None:
    assert mask("219-09-9999") == "***-**-**99"
    assert mask("a@b.io") == "*@*.**"


def test_a_message_over_a_million_characters_is_scanned_in_windows(tmp_path: Path) -> None:
    """spaCy refuses texts over 1,000,000 characters; long texts are scanned in windows,
    and an identifier in an overlap or across a window's edge is counted once."""
    filler = "The quarterly figures were reviewed and filed without comment. "
    text = list((filler * (1_300_000 // len(filler) + 1))[:1_300_000])
    step = WINDOW_CHARS - WINDOW_OVERLAP
    planted = {
        10: "ana.one@example.com",
        step + 990: "ravi.two@example.com",  # in the overlap, owned by the first window
        WINDOW_CHARS - 8: "li.three@example.com",  # across the first window's edge
        1_300_000 - 40: "omar.four@example.com",  # at the very end
    }
    for at, address in planted.items():
        text[at - 1] = " "
        text[at : at + len(address)] = address
        text[at + len(address)] = " "
    path = tmp_path / "long.jsonl"
    record = {
        "messages": [
            {"role": "user", "content": "".join(text)},
            {"role": "assistant", "content": "Noted."},
        ]
    }
    path.write_text(json.dumps(record) + "\n")
    report = scan_file(path)
    emails = next(f for f in report.findings if f.category == "email")
    assert emails.count == len(planted)
    assert [loc.field for loc in emails.locations] == ["messages[0].content"] * len(planted)
