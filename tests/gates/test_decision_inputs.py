"""Every stored decision keeps the input document it was made on, so reports can replay it."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from app.api.v1.common import dump, public
from app.db import session_scope
from app.gates.service import encode_input, evidence_sha256
from app.ledger import canonical_json, sha256_hex
from app.models.governance import PolicyDecision, PolicyDecisionInput, PolicyDecisionPublic


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


#: A decision's JSON columns as the database holds them (``json`` keeps its text on PostgreSQL).
_STORED_TEXTS = sa.text(
    "SELECT CAST(i.document AS TEXT), CAST(d.result AS TEXT), CAST(d.violations AS TEXT) "
    "FROM policy_decision d JOIN policy_decision_input i ON i.decision_id = d.id "
    "WHERE d.id = :id"
)


def test_the_stored_texts_are_the_canonical_json_the_digests_are_taken_over(
    seeded: Any, make_actor: Any, engine: Any
) -> None:
    # Each value is encoded once and that text stored: byte for byte the canonical JSON,
    # so the input's stored text hashes to the input digest as it stands, and without
    # the clock and the votes to the evidence digest.
    answer = (
        make_actor("pipeline")
        .post(
            "/api/v1/gates/production_promotion",
            json={"subject_id": seeded.ids["credit_deployment"]},
        )
        .get_json()
    )
    with session_scope(engine) as session:
        decision = session.get(PolicyDecision, answer["id"])
        assert decision is not None
        document_text, result_text, violations_text = (
            session.connection().execute(_STORED_TEXTS, {"id": decision.id}).one()
        )
        stored_answer = dump(public(PolicyDecisionPublic, decision))
    document = json.loads(document_text)
    assert document_text.encode() == canonical_json(document)
    assert sha256_hex(document_text.encode()) == decision.input_sha256
    evidence = {k: v for k, v in document.items() if k not in ("now", "approvals")}
    assert len(evidence) == len(document) - 2
    assert sha256_hex(canonical_json(evidence)) == decision.evidence_sha256
    assert result_text.encode() == canonical_json(decision.result)
    assert violations_text.encode() == canonical_json(decision.violations)
    assert decision.violations == decision.result["violations"] != []
    # The answer is the decision as stored.
    assert answer == stored_answer


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(["now", "approvals", "model", "datasets", "é", "\u2603", 'a"b', ""]),
        _JSON_VALUES,
    )
)
def test_the_evidence_digest_is_that_of_the_canonical_json_without_clock_and_votes(
    document: dict[str, Any],
) -> None:
    # Whatever the keys and values, the digest is that of the evidence's canonical JSON,
    # and the one encoding a decision's input gets is the canonical JSON of the whole.
    evidence = {k: v for k, v in document.items() if k not in ("now", "approvals")}
    assert evidence_sha256(document) == sha256_hex(canonical_json(evidence))
    encoded = encode_input(document)
    assert encoded.stored.text.encode() == canonical_json(document)
    assert encoded.input_sha256 == sha256_hex(canonical_json(document))
    assert encoded.evidence_sha256 == evidence_sha256(document)
