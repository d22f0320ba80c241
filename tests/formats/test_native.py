"""The C scanner of plain finished chains (``app/formats/_native.c``) against Python's reading.

The scanner may leave any text to Python, but a text it counts must be one
:func:`~app.formats.reasoning.sort_chains` counts, with the same steps, and whose
:func:`~app.formats.reasoning.examine` reading is clean; on the ASCII texts it is sure
of it must count every chain Python counts, or validation loses its speed.
"""

from __future__ import annotations

import random
from typing import NamedTuple

import pytest

from app.formats import reasoning
from app.formats.native import native
from app.formats.reasoning import examine, scan_plain_chains, sort_chains
from tests.formats.reasoning.corpus import load

_OPENINGS = [
    *("", "1. ", "2) ", "12. ", "123. ", "1 . ", "7.", "2.x ", "- ", "-", "-x ", "+ ", "+"),
    *("Step 2: ", "step 2 of 5: ", "STEP 3 - ", "Schritt 3/4. ", "paso 1 de 3) ", "step1: "),
    *("step 1234: ", "step 1 of: ", "Step 9 of 10 -", "krok 2 ", "passo 4:", "stap 2) "),
    *("First, ", "Firstly ", "firstx ", "Then: ", "then", "Thence ", "d'abord ", "Next ", "nexus "),
    *("Finally ", "zuerst, ", "luego ", "Étape 2: ", "• ", "首先，", "## ", "**1.** ", " ", "_"),
]
_MIDDLES = [
    *("add 2 and 3", "Add 2 and 3", "the total is 5", "", "x", "x = 4", "Answer: B", "ok"),
    *("let me compute it", "so", "and the", "é", ". . .", "--", " add 2 ", "add 2 --", "add 2."),
    *("1. nested", "then", "step 2:", "3) x", "2 × 3", "?", "a\tb", "a\x0bb", "a\x1cb", "a\rb"),
]
_ENDINGS = ["", ".", ":", "...", " and", "!", " =", "_", "…", " the", " 42", ")", ",", " (", "/"]
_LASTS = [
    *("So it is 4.", "Therefore the answer is 5.", "Answer: 4", "and the", "Let me check"),
    *("Now we add", "I think it is 4.", "We'll see.", "i'll stop", "letter: 4", "Thus 9."),
    *("- done", "ok", "_x", "", "x", "4", "The result is 12", "Il faut 3.", "it is _and"),
    *("The value is 7 of", "Verdict: approve", "Then it is 4.", "Next time.", "Nowhere."),
]


def _random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        steps = [
            rng.choice(_OPENINGS) + rng.choice(_MIDDLES) + rng.choice(_ENDINGS)
            for _ in range(rng.randint(0, 6))
        ]
        if rng.random() < 0.5:  # distinct, mostly plain steps: chains the scanner counts
            plain = _MIDDLES[:8]
            steps = [f"{n}. {rng.choice(plain)} {n * 7}" for n in range(1, rng.randint(2, 6))]
        last = rng.choice(_LASTS) + rng.choice(["", "", ".", " ", "\n", "\n\n  \n"])
        texts.append(rng.choice(["\n", "\n\n"]).join([*steps, last]))
    return texts


def _corpus_texts() -> list[str]:
    texts = [sample.text for sample in load()]
    texts += [text.rpartition("\n")[0] for text in texts if "\n" in text]
    texts += [text.upper() for text in texts]
    return [*texts, "", "   ", "\n\n", "a\x00b", "1. a\n2. b\nSo 3.\x00"]


def _python_sure(text: str) -> bool:
    """An ASCII text the scanner must decide itself (it may leave any other)."""
    lowered = text.lower().rstrip()
    last = lowered.rpartition("\n")[2].strip()
    return (
        text.isascii()
        and not any(mark in text for mark in "#*?`\r\t\x0b\x0c\x00\x1c\x1d\x1e\x1f")
        and "\n " not in text
        and not text.startswith(" ")
        and not last.startswith(reasoning._INTENTION_OPENERS)
    )


def test_the_extension_is_built() -> None:
    """Without it validation is correct but slow: `scripts/setup` builds it."""
    assert native is not None, "app.formats._native is not built: run scripts/setup"


@pytest.mark.parametrize("source", ["corpus", "random-1", "random-2"])
def test_scanner_counts_only_what_python_counts(source: str) -> None:
    texts = _corpus_texts() if source == "corpus" else _random_texts(int(source[-1]), 20_000)
    counts, rest = scan_plain_chains(texts)
    assert rest == [index for index, count in enumerate(counts) if count == 0]
    decided = 0
    for text, count in zip(texts, counts, strict=True):
        # one by one: a text holding NUL sends its whole batch to the full reading
        [python_count], [clean] = sort_chains([text])
        if count:
            decided += 1
            assert clean and python_count == count, text
            assert examine(text) == reasoning._CLEAN[count], text
        elif _python_sure(text):
            assert not clean, text  # the scanner missed a chain it should count
    assert decided > len(texts) // 20


def test_examine_many_and_the_scanner_read_like_examine() -> None:
    texts = _corpus_texts() + _random_texts(3, 5000)
    assert reasoning.examine_many(texts) == [examine(text) for text in texts]


def test_scanner_refuses_a_vocabulary_it_would_misread() -> None:
    assert native is not None
    words = {
        "ordinals": ["first"],
        "joiners": ["of"],
        "dangling_words": ["and"],
        "dangling_ends": [":"],
        "openers": ["let "],
    }
    try:
        with pytest.raises(ValueError, match="may start another"):
            native.configure(step_words=["step", "steps"], **words)
        with pytest.raises(ValueError, match="word character"):
            native.configure(step_words=["step"], **{**words, "ordinals": ["x-"]})
        with pytest.raises(ValueError, match="lower case"):
            native.configure(step_words=["Step"], **words)
        with pytest.raises(RuntimeError, match="configure"):
            native.scan(["1. a\n2. b\nSo 3."])
    finally:
        reasoning._configure_scanner()
    assert scan_plain_chains(["1. a\n2. b\nSo 3."]) == ([2], [])


class _Message(NamedTuple):
    role: str
    content: object


class _Record(NamedTuple):
    messages: object


def test_chat_columns_gathers_a_blocks_figures() -> None:
    assert native is not None
    chain = "1. a\n2. b\nSo 3."
    records = [
        _Record((_Message("user", "hi"), _Message("assistant", chain))),
        _Record(
            [
                _Message("system", "s"),
                _Message("user", "q"),
                _Message("assistant", "ok"),
                _Message("assistant", "fine"),
            ]
        ),
    ]
    assert native.chat_columns(records, "assistant") == (
        {2: 1, 4: 1},
        {"user": 2, "assistant": 3, "system": 1},
        [2 + len(chain), 1 + 1 + 2 + 4],
        [0, 1, 1],
        [1, 2, 3],
        [chain, "ok", "fine"],
    )
    # a record without an answer: no columns (each record is then checked on its own)
    assert native.chat_columns([*records, _Record((_Message("user", "q"),))], "assistant") is None


@pytest.mark.parametrize(
    ("record", "error"),
    [
        (_Record("not messages"), TypeError),
        (_Record((_Message("user", 3),)), TypeError),
        (_Record((("user", "x"),)), AttributeError),
        ((), AttributeError),
    ],
)
def test_chat_columns_refuses_other_shapes(record: object, error: type[Exception]) -> None:
    assert native is not None
    with pytest.raises(error):
        native.chat_columns([record], "assistant")
