"""The reasoning checker against the labelled corpus in tests/formats/reasoning/."""

from __future__ import annotations

import random

from app.formats.issues import IssueLog
from app.formats.reasoning import examine, examine_many
from app.formats.reasoning_stats import ReasoningCollector
from tests.formats.reasoning.corpus import FINDINGS, load, score

MIN_SAMPLES = 300
MIN_PRECISION = 0.97
MIN_RECALL = 0.95


def test_corpus_is_large_and_covers_every_finding() -> None:
    samples = load()
    assert len(samples) >= MIN_SAMPLES
    labelled = set().union(*(sample.expected for sample in samples))
    assert labelled == set(FINDINGS)
    assert len({sample.lang for sample in samples}) >= 8
    assert len({sample.id for sample in samples}) == len(samples)


def test_checker_precision_and_recall_on_the_corpus() -> None:
    result = score(load())
    print(
        f"\nreasoning corpus: {result.samples} outputs, {result.languages} languages; "
        f"precision {result.precision:.3f}, recall {result.recall:.3f}, "
        f"step counts exact {result.steps_exact}/{result.samples}"
    )
    for miss in result.misses:
        print("  disagreement:", miss[0], "expected", sorted(miss[1]), "found", sorted(miss[2]))
    assert result.precision >= MIN_PRECISION
    assert result.recall >= MIN_RECALL


def test_fast_reading_agrees_with_the_full_reading() -> None:
    """Validation takes the fast path for plain texts; it must not change any finding."""
    texts = [sample.text for sample in load()]
    # the same outputs with trailing blank space, with their last line dropped, and cut
    # to their first two lines
    variants = [text + "  \n" for text in texts]
    variants += [text.rpartition("\n")[0] for text in texts if "\n" in text]
    variants += ["\n".join(text.split("\n")[:2]) for text in texts]
    for text in texts + variants:
        assert examine(text) == examine(text, fast=False), text
    # the batch reading (validation's, per block of records) agrees text by text, in any mix
    everything = texts + variants + ["", "   ", "\n\n", "Step 1: only one step."]
    everything += [
        "1. a\n2. b\nso it is\tand",
        "1. a\n2. b\nit is _and",
        "1. a\n2. b\nok_",
        "1. a\n2. b\n_let me check it",
        "1. a\n2. b\n_x",
    ]
    assert examine_many(everything) == [examine(text) for text in everything]
    assert examine_many(everything[::-1]) == [examine(text) for text in everything[::-1]]


def test_batch_reading_agrees_on_random_texts() -> None:
    """Texts assembled at random from markers, fragments and endings read alike both ways."""
    rng = random.Random(17)
    openings = [
        "",
        "1. ",
        "2) ",
        "- ",
        "• ",
        "Step 3: ",
        "Then ",
        "Finally, ",
        "首先，",
        "## ",
        "  ",
        "_",
        "Paso 2: ",
    ]
    middles = [
        "add 2 and 3",
        "the total is 5",
        "",
        "let me compute it",
        "so",
        "x = 4",
        "Answer: B",
        "and the",
        "é",
    ]
    endings = ["", ".", ":", "...", "?", " and", "!", " =", "_", "\t", "…", " the", " 42", ")"]
    texts = []
    for _ in range(3000):
        lines = [
            rng.choice(openings) + rng.choice(middles) + rng.choice(endings)
            for _ in range(rng.randint(1, 5))
        ]
        texts.append(rng.choice(["\n", "\n\n"]).join(lines) + rng.choice(["", "\n", "  "]))
    assert examine_many(texts) == [examine(text) for text in texts]


def test_batch_collector_gives_the_one_by_one_findings() -> None:
    """Validation tallies a block of outputs at once: same warnings (line, field, order) and
    figures as examining each output on its own, including bodies that differ only in the
    characters a step body is trimmed of."""
    rng = random.Random(2026)
    steps = ["Step 1: ", "Step 2: ", "1. ", "2) ", "- ", "Then ", "Paso 2: "]
    bodies = ["add 2", "add 2.", " add 2 ", "add 2 --", "—add 2,", ". . .", "", "x", "x:"]
    lasts = ["So it is 4.", "Answer: 4", "and the", "Let me check", "- done", "ok", "_x", ""]
    texts = [sample.text for sample in load()]
    for _ in range(2000):
        chain = [rng.choice(steps) + rng.choice(bodies) for _ in range(rng.randint(0, 4))]
        texts.append("\n".join([*chain, rng.choice(lasts)]))
    lines = [10 + 3 * index for index in range(len(texts))]
    fields = [f"messages[{index % 4}].content" for index in range(len(texts))]
    batch, batch_log = ReasoningCollector(), IssueLog(limit=100_000)
    batch.add_many(lines, fields, texts, batch_log)
    single, single_log = ReasoningCollector(), IssueLog(limit=100_000)
    for line, field, text in zip(lines, fields, texts, strict=True):
        single.add(line, field, text, single_log)
    assert batch.result() == single.result()
    assert batch_log.warnings == single_log.warnings
    assert batch_log.warning_count == single_log.warning_count > 0
