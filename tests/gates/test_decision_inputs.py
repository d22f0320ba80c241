"""Every stored decision keeps the input document it was made on, so reports can replay it."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlmodel import select

from app.db import session_scope
from app.ledger import canonical_json, sha256_hex
from app.models.governance import PolicyDecision, PolicyDecisionInput


def test_the_stored_input_hashes_to_the_recorded_digest_and_holds_no_raw_values(
    seeded: Any, make_actor: Any, engine: Any
) -> None:
    bot = make_actor("pipeline")
    answer = bot.post(
        "/api/v1/gates/training_launch", json={"subject_id": seeded.ids["notes-o4-mini-sft"]}
    ).get_json()
    with session_scope(engine) as session:
        decision = session.exec(
            select(PolicyDecision).where(PolicyDecision.id == answer["id"])
        ).one()
        stored = session.get(PolicyDecisionInput, decision.id)
        assert stored is not None
        document = stored.document
        assert sha256_hex(canonical_json(document)) == decision.input_sha256
    # The raw clinical notes hold PHI; their version is described, never quoted.
    notes = next(d for d in document["datasets"] if d["contains_phi"])
    assert notes["pii_findings_count"] > 0
    text = json.dumps(document)
    assert re.search(r"\b\d{3}-\d{2}-\d{4}\b", text) is None
    assert re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", text) is None
