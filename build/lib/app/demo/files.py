"""Synthetic fine-tuning files for the demo, generated deterministically.

Every name, number and date here is invented (seeded random); nothing is real personal
data. The raw clinical notes deliberately contain identifiers so the PII/PHI scan and
the HIPAA controls have something to find; the de-identified version replaces them with
Safe Harbor placeholders.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from app.config import PROJECT_ROOT

_FIRST = ["Maria", "James", "Aisha", "Tomasz", "Li", "Sofia", "Daniel", "Priya", "Kwame", "Elena"]
_LAST = [
    "Garcia",
    "Okafor",
    "Nowak",
    "Chen",
    "Rossi",
    "Haddad",
    "Silva",
    "Kowalski",
    "Meyer",
    "Ito",
]
_CONDITIONS = [
    ("type 2 diabetes", "metformin 500 mg twice daily"),
    ("hypertension", "lisinopril 10 mg daily"),
    ("asthma", "inhaled budesonide 200 mcg twice daily"),
    ("atrial fibrillation", "apixaban 5 mg twice daily"),
    ("hypothyroidism", "levothyroxine 75 mcg daily"),
]
_SYSTEM = (
    "You summarise clinical notes for the treating physician. Reason step by step, then conclude."
)


def _note(rng: random.Random, *, deidentified: bool) -> tuple[str, str]:
    condition, medication = rng.choice(_CONDITIONS)
    if deidentified:
        who, mrn, phone, date, zip_code = "[NAME]", "[MRN]", "[PHONE]", "[DATE]", "[ZIP]"
    else:
        who = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        mrn = f"MRN {rng.randint(1000000, 9999999)}"
        phone = f"(617) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
        date = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        zip_code = f"02{rng.randint(100, 199)}"
    note = (
        f"Patient {who}, {mrn}, seen on {date}, lives in ZIP {zip_code}, phone {phone}. "
        f"History of {condition}; currently on {medication}. Reports fatigue for two weeks."
    )
    answer = (
        f"Step 1: The patient has known {condition} treated with {medication}.\n"
        "Step 2: Two weeks of fatigue may reflect poor control or a medication effect.\n"
        "Step 3: Recent labs are not in the note, so they should be ordered.\n"
        f"Conclusion: Review {condition} control and order basic labs before changing therapy."
    )
    return note, answer


def clinical_notes(path: Path, *, deidentified: bool, records: int = 60) -> Path:
    """OpenAI chat JSONL of clinical-note summaries (raw: with identifiers)."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(records):
            note, answer = _note(rng, deidentified=deidentified)
            record = {
                "messages": [
                    {"role": "system", "content": _SYSTEM},
                    {"role": "user", "content": f"Summarise: {note}"},
                    {"role": "assistant", "content": answer},
                ]
            }
            out.write(json.dumps(record) + "\n")
    return path


def eu_triage(path: Path, *, records: int = 40) -> Path:
    """Anthropic prompt/completion JSONL of pseudonymised EU triage conversations (health data)."""
    rng = random.Random(11)
    symptoms = [
        "chest pain on exertion",
        "persistent cough",
        "sudden severe headache",
        "abdominal pain after meals",
    ]
    with path.open("w", encoding="utf-8") as out:
        for index in range(records):
            symptom = rng.choice(symptoms)
            prompt = f"\n\nHuman: Subject P-{index:04d} (pseudonymised) reports {symptom}. How urgent is this?\n\nAssistant:"
            completion = (
                f" Step 1: {symptom.capitalize()} can signal a serious condition.\n"
                "Step 2: Red-flag questions decide the urgency.\n"
                "Conclusion: Refer to a clinician today; call emergency services if red flags are present."
            )
            out.write(json.dumps({"prompt": prompt, "completion": completion}) + "\n")
    return path


def credit_explanations(path: Path, *, records: int = 50) -> Path:
    """Llama input/output JSONL: credit decisions explained from the applicant's features."""
    rng = random.Random(3)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(records):
            duration, amount = rng.choice([6, 12, 24, 36, 48]), rng.randint(500, 15000)
            history = rng.choice(
                [
                    "all credits paid back duly",
                    "critical account",
                    "delay in paying off in the past",
                ]
            )
            decision = (
                "approve" if history == "all credits paid back duly" and amount < 8000 else "refer"
            )
            out.write(
                json.dumps(
                    {
                        "instruction": "Decide and explain the principal reasons.",
                        "input": f"Loan of {amount} DM over {duration} months; credit history: {history}.",
                        "output": f"Step 1: Credit history is '{history}'.\nStep 2: The amount is {amount} DM over {duration} months.\nConclusion: {decision}.",
                    }
                )
                + "\n"
            )
    return path


def radiology_gemini(path: Path, *, records: int = 20) -> Path:
    """Gemini contents JSONL with text parts and file references to de-identified images."""
    with path.open("w", encoding="utf-8") as out:
        for index in range(records):
            out.write(
                json.dumps(
                    {
                        "contents": [
                            {
                                "role": "user",
                                "parts": [
                                    {"text": "Describe the findings on this chest X-ray."},
                                    {
                                        "fileData": {
                                            "fileUri": f"gs://deidentified-xrays/study-{index:04d}.png",
                                            "mimeType": "image/png",
                                        }
                                    },
                                ],
                            },
                            {
                                "role": "model",
                                "parts": [
                                    {
                                        "text": "Step 1: Lungs are clear.\nStep 2: Heart size is normal.\nConclusion: No acute findings."
                                    }
                                ],
                            },
                        ]
                    }
                )
                + "\n"
            )
    return path


GERMAN_CREDIT = PROJECT_ROOT / "data" / "german.data"


def german_credit_csv(path: Path) -> Path:
    """The UCI German Credit data (CC BY 4.0, see data/README.md) as CSV."""
    with (
        GERMAN_CREDIT.open(encoding="utf-8") as source,
        path.open("w", newline="", encoding="utf-8") as out,
    ):
        writer = csv.writer(out)
        for line in source:
            writer.writerow(line.split())
    return path
