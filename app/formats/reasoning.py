"""Quality of reasoning chains in the outputs a model is trained to produce.

The check reads an output's *structure*, not a vocabulary of conclusion words (a
vocabulary always misses a form: ``Conclusion:``, ``Verdict:``, ``#### 42``, ``So …``,
``Fazit:``, ``结论：`` ...):

* **Steps** are lines that start with a step marker: a number (``2.``, ``2)``, ``2、``),
  a bullet (``-``, ``*``, ``•``), ``Step 2:`` (and its translations), a Markdown heading
  with a step number (``## Step 2``, ``### 2.``), or an ordinal word at the start of the
  line (First, Then, Finally, Zuerst, Luego, Ensuite, 首先, まず ...). An indented line,
  or the paragraph under a heading step, belongs to that step.
* The **conclusion** is the last non-step line or paragraph after the steps, if it
  states a result: a labelled value (``Answer: 42``, ``Verdict: approve``, any
  ``Label: value``), ``\\boxed{}``, ``#### 42``, or a complete sentence. It does *not*
  state a result when it is a question, announces more work ("Let me now compute …"),
  or stops mid-sentence (ends with ``:``, ``,``, ``…``, ``=``, or a word such as "and",
  "the", "of"). With no line after the steps, the last step concludes when its last
  sentence opens with a concluding connective (So, Therefore, Thus, Finally, Daher,
  Donc, Por lo tanto, 因此 ...) or is a labelled value.
* Findings per output: **empty** and **repeated** steps; steps with **no conclusion**
  (the chain stops mid-way); prose without steps that visibly stops mid-sentence; and an
  **unsupported conclusion**: the whole output is one answer line (``Answer: 12``,
  ``\\boxed{12}``, "The answer is 12.") with no reasoning before it.

Plain chat text (complete sentences, no step markers) raises nothing. A bare list with
no closing line is read as a chain without conclusion; see docs/dataset-formats.md.
The labelled corpus in ``tests/formats/reasoning/`` measures precision and recall
(``bench/reasoning.py`` prints them).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, repeat
from operator import contains, eq, itemgetter, methodcaller, not_
from typing import NamedTuple

from app.formats.native import native

__all__ = ["Examination", "examine", "examine_many", "scan_plain_chains", "sort_chains"]


def _trie(words: list[str]) -> str:
    """One regex alternation for ``words``, nested by shared prefixes.

    `re` tries the branches of an alternation one by one; nested by first letters, a
    line that opens with none of them is refused after a branch or two instead of
    after every word (this runs at the start of every line of every output).
    """
    if "" in words and len(words) == 1:
        return ""
    groups: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        groups.setdefault(word[:1], []).append(word[1:])
    branches = []
    for head, tails in groups.items():
        if not head:
            continue
        if len(tails) == 1:
            branches.append(re.escape(head + tails[0]))
            continue
        rest = _trie(tails)
        optional = "" in tails and rest
        branches.append(
            re.escape(head) + (f"(?:{rest})?" if optional else (f"(?:{rest})" if rest else ""))
        )
    return "|".join(branches)


_ORDINAL_WORDS = (
    *("first", "firstly", "second", "secondly", "third", "thirdly", "fourth", "next", "then"),
    *("finally", "lastly", "zuerst", "erstens", "zweitens", "drittens", "dann", "danach"),
    *("anschließend", "schließlich", "zuletzt", "primero", "segundo", "tercero", "luego"),
    *("después", "despues", "finalmente", "por último", "d'abord", "premièrement"),
    *("deuxièmement", "ensuite", "puis", "enfin", "innanzitutto", "poi", "infine", "eerst"),
    *("daarna", "vervolgens", "tenslotte", "сначала", "затем", "потом", "наконец"),
)
_ORDINALS = _trie(list(_ORDINAL_WORDS))
_STEP_WORD_LIST = (
    *("step", "schritt", "paso", "étape", "etape", "passo", "stap", "krok"),
    *("шаг", "adım", "bước"),
)
_STEP_WORDS = _trie(list(_STEP_WORD_LIST))
# Words between a step's number and the count of steps ("Step 2 of 5", "Schritt 2 von 5").
_NUMBER_JOINERS = ("of", "/", "von", "de", "sur")
_NUMBER_OF = r"\d{1,3}(?:[ \t]*(?:" + "|".join(_NUMBER_JOINERS) + r")[ \t]*\d{1,3})?"
_HEADING_MARKER = (
    r"#{1,6}[ \t]*(?:\*\*)?(?:(?:"
    + _STEP_WORDS
    + r")[ \t]*"
    + _NUMBER_OF
    + r"(?:\*\*)?[ \t]*[:.)\-–—]?|\d{1,3}(?:\*\*)?[ \t]*[:.)\-–—])"
)
_PLAIN_MARKERS = (
    r"(?:\*\*)?(?:" + _STEP_WORDS + r")[ \t]*" + _NUMBER_OF + r"[ \t]*(?:\*\*)?[ \t]*[:.)\-–—]"
    r"|(?:\*\*)?\d{1,2}[ \t]*[.)、．](?:\*\*)?(?=\s|$)"
    r"|[-*•+](?:[ \t]+|$)"
    r"|第[一二三四五六七八九十\d]{1,3}步[:：，,]?|步骤[ \t]*\d{1,3}[:：.]?"
    r"|ステップ[ \t]*\d{1,3}[:：]?|\d{1,3}[ \t]*단계[:：]?"
)
_ORDINAL_MARKERS = (
    r"(?:\*\*)?(?:" + _ORDINALS + r")\b(?:\*\*)?[,:]?"
    r"|首先[，,]?|其次[，,]?|然后[，,]?|接着[，,]?|最后[，,]?|まず[、,]?|次に[、,]?|最後に[、,]?"
)
# Group "heading" tells heading steps apart (their body runs on until a blank line),
# group "ordinal" the steps opened by a word ("Then again, ..." alone is prose).
_STEP = re.compile(
    f"(?P<heading>{_HEADING_MARKER})|{_PLAIN_MARKERS}|(?P<ordinal>{_ORDINAL_MARKERS})"
)
_STEP_WITHOUT_ORDINALS = re.compile(f"(?P<heading>{_HEADING_MARKER})|{_PLAIN_MARKERS}")
# The markers once more for the fast readings, which only see texts without ``*``,
# ``#`` or indentation: without the optional bold around them, which costs `re` a
# repeat at the start of every line it tries.
_FAST_MARKERS = (
    r"(?:" + _STEP_WORDS + r")[ \t]*" + _NUMBER_OF + r"[ \t]*[:.)\-–—]"
    r"|\d{1,2}[ \t]*[.)、．](?=\s|$)|\d{1,3}[ \t]*단계[:：]?"
    r"|[-•+](?:[ \t]+|$)"
    r"|第[一二三四五六七八九十\d]{1,3}步[:：，,]?|步骤[ \t]*\d{1,3}[:：.]?|ステップ[ \t]*\d{1,3}[:：]?"
    r"|(?:" + _ORDINALS + r")\b[,:]?"
    r"|首先[，,]?|其次[，,]?|然后[，,]?|接着[，,]?|最后[，,]?|まず[、,]?|次に[、,]?|最後に[、,]?"
)
# The fast reading: every step body of a text with no headings, fences or indentation,
# found in one pass (the literal newline lets `re` jump from line start to line start).
_STEP_BODIES = re.compile(f"\\n(?:{_FAST_MARKERS})([^\\n]*)")
# The same, each body already stripped of :data:`_TRIM` characters by the pattern (the
# marker ends where it did; leading trim characters are skipped, the body stops at its
# last other character), so the batch reading builds no stripped copies.
_TRIMMED_STEP_BODIES = re.compile(
    f"\\n(?:{_FAST_MARKERS})[ \\t*:.\\-–—,]*+((?:[^\\n]*[^\\n \\t*:.\\-–—,])?)"
)
# Texts the fast reading leaves to the full one: headings, fences, bold, indentation,
# questions, carriage returns (plain `in` tests: far cheaper than one regex search).
_NEEDS_FULL_READING = ("#", "*", "?", "？", "`", "\r", "\n ", "\n\t")
_HEADING = re.compile(r"#{1,6}\s")
_CONNECTIVE = re.compile(
    r"(?:so|therefore|thus|hence|finally|overall|altogether|in (?:total|conclusion|sum)|"
    r"also|daher|deshalb|somit|insgesamt|por (?:lo )?tanto|así que|en total|donc|ainsi|"
    r"au total|quindi|dunque|dus|итак|поэтому|таким образом)\b"
    r"|因此|所以|综上|总之|したがって|よって|따라서"
)
# "Label: value" where the label is a few words (any language) and the value is present.
_LABELLED = re.compile(r"[^\W\d_][^:：\n]{0,40}?[ \t]*[:：][ \t]*\S")
_EXPLICIT = re.compile(r"\\boxed\{|^#{2,4}[ \t]*[-+−]?\$?\d")
# Announcing work still to do ("Let me now compute ..."), unless the line already gives a value.
_INTENTION = re.compile(
    r"(?:(?:now |next,? |first,? )?(?:let me|let's|let us) (?:now |first |next )?"
    r"(?:calculate|compute|check|find|work|solve|look|think|figure|start|begin|add|multiply|"
    r"subtract|divide|consider|verify|break|determine|evaluate|go|estimate|examine|review|"
    r"analy[sz]e|apply|plug|substitute|convert|count|sum|test|try|compare)"
    r"|(?:now |next,? |then,? )?(?:we|i) (?:need to|have to|must|will|'ll|should now)"
    r"|(?:now |next,? )?(?:i'll|we'll)"
    r"|lass(?:t)? uns|wir müssen|ahora (?:vamos|hay que)|vamos a|calculons|il faut|"
    r"接下来|我们需要|现在我们来|次は)(?![^=]*=)"
)
# Every line :data:`_INTENTION` matches starts with one of these (the C scanner hands a
# last line starting with one back to Python; a line that only looks like it is harmless).
_INTENTION_OPENERS = (
    *("now ", "next", "first", "let ", "let'", "then", "we ", "we'", "i ", "i'", "lass"),
    *("wir ", "ahora ", "vamos ", "calculons", "il "),
)
# Function words a finished sentence does not end on (articles, prepositions, conjunctions).
_DANGLING_WORDS = frozenset(
    (
        *("and", "or", "but", "so", "then", "because", "which", "that", "the", "a", "an", "of"),
        *("to", "by", "with", "for", "from", "in", "on", "at", "as", "is", "are", "was", "were"),
        *("be", "into", "than", "plus", "minus", "times", "divided", "multiplied", "only"),
        *("just", "about", "und", "oder", "aber", "der", "die", "das", "den", "dem", "des"),
        *("ein", "eine", "einen", "von", "zu", "mit", "ist", "auf", "an", "bei", "nach", "über"),
        *("für", "um", "im", "zum", "zur", "nur", "etwa", "y", "o", "pero", "el", "la", "los"),
        *("las", "de", "del", "que", "por", "para", "con", "es", "un", "una", "et", "ou"),
        *("mais", "le", "les", "des", "du", "pour", "avec", "est", "sur", "dans", "une", "il"),
        *("lo", "gli", "di", "per", "che", "su", "en", "het", "van", "met", "voor", "и", "или"),
        *("но", "в", "на", "с", "что", "к", "по", "из", "за", "от"),
    )
)
_DANGLING_ENDS = (":", "：", ",", "，", "、", ";", "…", "...", "=", "+", "(", "-", "×", "/")
_DANGLING_END_CHARS = frozenset(":：,，、;…=+(-×/")
_ANSWER_WORDS = re.compile(
    r"\banswer\b|\bresult\b|\bantwort\b|\brespuesta\b|\bréponse\b|\brisposta\b|答案|答え|结果"
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
_TRIM = " \t*:.-–—,"


class Examination(NamedTuple):
    """What the checker found in one output (a tuple: built once per output, cheaply)."""

    steps: int
    concluded: bool
    #: 1-based numbers of the empty steps.
    empty_steps: tuple[int, ...]
    #: (step, earlier step it repeats) pairs.
    repeated_steps: tuple[tuple[int, int], ...]
    #: The output stops mid-chain (steps with no conclusion, or prose cut off).
    stops_mid_chain: bool
    #: The whole output is an answer with no reasoning before it.
    unsupported: bool


#: Readings shared by every clean chain of ``n`` steps (tuples: safe to share).
_CLEAN = tuple(Examination(n, True, (), (), False, False) for n in range(64))


def _cut_off(line: str) -> bool:
    """True when the line stops mid-sentence (``…``, ``:``, ``=``, "and", "the" ...)."""
    line = line.rstrip(" *_")
    if line.endswith(_DANGLING_ENDS):
        return True
    words = line.rsplit(None, 1)
    return bool(words) and words[-1].lstrip(" *_") in _DANGLING_WORDS


def _dangling(line: str) -> bool:
    """True when the line stops mid-sentence or announces work still to be done."""
    return _cut_off(line) or _INTENTION.match(line.lstrip(" *_")) is not None


def _states_result(line: str) -> bool | None:
    """Whether a lower-cased line states a result; ``None`` for a question (no verdict).

    A line holding a statement and then a question ("It is $4. Anything else?") is
    judged by its last statement.
    """
    line = line.strip(" *_")
    if ("\\boxed" in line or line[:1] == "#") and _EXPLICIT.search(line):
        return not _cut_off(line)
    labelled = _LABELLED.match(line) if (":" in line or "：" in line) else None
    if labelled:
        value = line[labelled.end() - 1 :].strip(" *_.")
        # a short value ("Answer: a", "Verdict: B") is complete whatever its letters
        return len(value) <= 3 or not _cut_off(line)
    if line.endswith(("?", "？")):
        statements = [s for s in _SENTENCE_END.split(line) if not s.endswith(("?", "？"))]
        return _states_result(statements[-1]) if statements else None
    return len(line) > 1 and not _dangling(line)


def _last_step_concludes(body: str) -> bool:
    """True when the last step's last sentence opens with a concluding connective or a label."""
    sentence = _SENTENCE_END.split(body.strip())[-1].lstrip("*_ ")
    if not sentence or _dangling(sentence):
        return False
    return bool(
        _CONNECTIVE.match(sentence) or _EXPLICIT.search(sentence) or _LABELLED.match(sentence)
    )


def _heading_like(line: str) -> str | None:
    """The title of a section heading (``## Answer``, a line that is all bold), else None."""
    if _HEADING.match(line) and not _EXPLICIT.search(line):
        return line.lstrip("# ")
    if len(line) > 4 and line.startswith("**") and line.endswith("**") and "**" not in line[2:-2]:
        return line[2:-2].strip()
    return None


def _read(lines: list[str], steps_pattern: re.Pattern[str]) -> tuple[list[str], list[str], int]:
    """Split lines into step bodies and the content after the last step.

    Returns (bodies, content after the last step, steps opened by an ordinal word).
    """
    bodies: list[str] = []
    tail: list[str] = []  # non-step lines after the last step: the candidate conclusion
    ordinals = 0
    open_heading = in_code = False  # inside a heading step's paragraph / a fenced block
    for raw in lines:
        line = raw.strip()
        if line.startswith("```"):
            # a fenced block is one piece of content (code or data the chain ends with)
            in_code = not in_code
            if not in_code:
                tail.append("[code block]")
            continue
        if in_code:
            continue
        if not line:
            open_heading = False
            continue
        marker = steps_pattern.match(line)
        if marker:
            bodies.append(line[marker.end() :].strip(_TRIM))
            tail = []
            open_heading = marker.group("heading") is not None
            ordinals += marker.lastgroup == "ordinal"
            continue
        if bodies and not tail and (open_heading or raw[:1] in (" ", "\t")):
            bodies[-1] = f"{bodies[-1]} {line}".strip(_TRIM)
            continue
        title = _heading_like(line)
        if title is not None:
            # a heading announces the paragraph after it: alone at the end, the chain
            # was cut off before its conclusion
            tail.append(title if _LABELLED.match(title) else f"{title}:")
            continue
        tail.append(line)
    return bodies, tail, ordinals


def examine(text: str, *, fast: bool = True) -> Examination:
    """Read one output's steps and conclusion (see the module docstring for the rules).

    Texts without headings, fences, bold, indentation or questions take a fast reading
    that gives the same result as the full one (``fast=False`` forces the full one).
    """
    lowered = text.lower().rstrip()
    if (
        fast
        and lowered[:1] not in (" ", "\t")
        and not any(mark in lowered for mark in _NEEDS_FULL_READING)
    ):
        # the common shape, read in a few C-level passes; validation runs this per output
        bodies = [body.strip(_TRIM) for body in _STEP_BODIES.findall("\n" + lowered)]
        if len(bodies) != 1:
            before, _, last = lowered.rpartition("\n")
            last = last.strip()
            if bodies and _STEP.match(last):
                return _judge(bodies, [])
            # only the last line matters, and whether it is the only one (unsupported)
            return _judge(bodies, [before, last] if before.strip() else [last])
    lines = lowered.splitlines()
    bodies, content, ordinals = _read(lines, _STEP)
    if len(bodies) == 1 and ordinals == 1:
        bodies, content, _ = _read(lines, _STEP_WITHOUT_ORDINALS)
    return _judge(bodies, content)


def _judge(bodies: list[str], content: list[str]) -> Examination:
    """Findings from the step bodies and the non-blank lines after the last step."""
    steps = len(bodies)
    concluded = False
    if content:
        for line in reversed(content):
            verdict = _states_result(line)
            if verdict is not None:
                concluded = verdict
                break
    elif steps:
        concluded = _last_step_concludes(bodies[-1])
    empty: list[int] = []
    repeated: list[tuple[int, int]] = []
    if steps and ("" in bodies or len(set(bodies)) < steps):
        seen: dict[str, int] = {}
        for number, body in enumerate(bodies, start=1):
            if not body:
                empty.append(number)
            elif body in seen:
                repeated.append((number, seen[body]))
            else:
                seen[body] = number
    if steps:
        stops = not concluded
        unsupported = False
    else:
        stops = bool(content) and _dangling(content[-1])
        only = content[0].strip(" *_") if len(content) == 1 else ""
        unsupported = (
            bool(only)
            and not stops
            and bool(
                _EXPLICIT.search(only)
                or (_ANSWER_WORDS.search(only) and (_LABELLED.match(only) or len(only) < 80))
            )
        )
    if empty or repeated:
        return Examination(steps, concluded, tuple(empty), tuple(repeated), stops, unsupported)
    return Examination(steps, concluded, (), (), stops, unsupported)


# What makes a text in the batch need :func:`examine`: a mark of the full reading
# (:data:`_NEEDS_FULL_READING`, whose "\n\t" the tab covers), a text starting with a
# space, or any tab.
_BATCH_SPECIALS = ("#", "*", "?", "？", "`", "\r", "\t", "\n ", "\x00 ")
_RPARTITION_LINE = methodcaller("rpartition", "\n")
_LAST_WORD = methodcaller("rsplit", None, 1)
_LSTRIP_UNDERSCORE = methodcaller("lstrip", "_")
_ENDS_BADLY = methodcaller("endswith", (*_DANGLING_ENDS, "_"))
# Step counts a clean reading is shared for (one or no step is never a plain chain).
_CLEAN_COUNTS = range(2, len(_CLEAN))
# A last line that cannot close a plain chain, in one match: it starts with an underscore
# (examine strips it), has at most one character, opens a step, or announces more work.
_LAST_LINE_REFUSED = re.compile(f"_|(?s:.?)\\Z|(?:{_STEP.pattern})|(?:{_INTENTION.pattern})")


def _specials(joined: str, offsets: list[int]) -> set[int]:
    """Indexes of the texts (starting at ``offsets`` in ``joined``) that need the full reading."""
    found: set[int] = set()
    for mark in _BATCH_SPECIALS:
        at = joined.find(mark)
        while at != -1:
            index = bisect_right(offsets, at) - 1
            found.add(index)
            # skip to the next text: one mark is enough
            at = joined.find(mark, offsets[index + 1] if index + 1 < len(offsets) else len(joined))
    return found


def sort_chains(texts: list[str]) -> tuple[list[int], list[bool]]:
    """Which texts are plain, finished chains, decided column by column.

    Returns each text's fast step count and whether the text is a plain finished chain
    (two or more distinct, non-empty steps; a last line that is not a step, long enough,
    not cut off, not announcing more work, and no mark of the full reading). For such a
    text :func:`examine` gives ``_CLEAN[count]``; any other text must be read by
    :func:`examine`. Every test runs over all texts through ``map`` (C-level iteration,
    no Python code per text): validation calls this per block of records, and builds
    no reading for the clean texts at all.
    """
    joined = "\x00".join(texts).lower()
    parts = joined.split("\x00")
    if len(parts) != len(texts):  # a text holds NUL itself
        return [0] * len(texts), [False] * len(texts)
    special: set[int] = set()
    if any(mark in joined for mark in _BATCH_SPECIALS) or joined[:1] in (" ", "\t"):
        offsets = [0, *accumulate(len(part) + 1 for part in parts[:-1])]
        special = _specials(joined, offsets)
        if joined[:1] in (" ", "\t"):
            special.add(0)
    plain = list(map(str.rstrip, parts))
    lasts = list(map(str.strip, map(itemgetter(2), map(_RPARTITION_LINE, plain))))
    bodies = list(map(_TRIMMED_STEP_BODIES.findall, map("\n".__add__, plain)))
    counts = list(map(len, bodies))
    distinct = list(map(set, bodies))
    tests = [
        map(_CLEAN_COUNTS.__contains__, counts),
        map(eq, map(len, distinct), counts),
        map(not_, map(contains, distinct, repeat(""))),
        map(not_, map(_ENDS_BADLY, lasts)),
        map(
            not_,
            map(
                _DANGLING_WORDS.__contains__,
                # "x " gives an empty last line a word (it fails the length test anyway)
                map(
                    _LSTRIP_UNDERSCORE,
                    map(itemgetter(-1), map(_LAST_WORD, map("x ".__add__, lasts))),
                ),
            ),
        ),
        map(not_, map(_LAST_LINE_REFUSED.match, lasts)),
    ]
    if special:
        tests.append(map(not_, map(special.__contains__, range(len(texts)))))
    return counts, list(map(all, zip(*tests, strict=True)))


def _configure_scanner() -> None:
    """Hand the C scanner the vocabulary it reads markers and last lines with.

    Only the ASCII words: the scanner reads ASCII texts only, where no other word can
    match. Done once, at import, so the words stay defined here alone.
    """
    if native is None:
        return

    def ascii_only(words: tuple[str, ...] | frozenset[str]) -> list[str]:
        return sorted(word for word in words if word.isascii())

    native.configure(
        ordinals=ascii_only(_ORDINAL_WORDS),
        step_words=ascii_only(_STEP_WORD_LIST),
        joiners=ascii_only(_NUMBER_JOINERS),
        dangling_words=ascii_only(_DANGLING_WORDS),
        dangling_ends=ascii_only((*_DANGLING_ENDS, "_")),
        openers=ascii_only(_INTENTION_OPENERS),
    )


_configure_scanner()


def scan_plain_chains(texts: list[str]) -> tuple[list[int], list[int]]:
    """Step counts of the plain finished chains among ``texts``, and the other texts.

    Returns each text's step count when it is a plain finished chain in the sense of
    :func:`sort_chains` (0 otherwise), and the indexes of the texts left to
    :func:`sort_chains` and :func:`examine`. The scan runs in C (``_native.c``), one pass
    over each ASCII text's bytes; it is conservative: any text it is not sure of (not
    ASCII, a mark of the full reading, a last line that might announce work) is left
    to Python, so a finding can never differ. Without the extension every text is left.
    """
    if native is None:
        return [0] * len(texts), list(range(len(texts)))
    return native.scan(texts)


def examine_many(texts: list[str]) -> list[Examination]:
    """:func:`examine` for many texts at once: the same results, with the common case
    decided in C (:func:`scan_plain_chains`), then column by column (:func:`sort_chains`);
    every other text is read by :func:`examine`, so no result can differ.
    """
    counts, rest = scan_plain_chains(texts)
    results = list(map(_CLEAN.__getitem__, counts))
    if not rest:
        return results
    left = [texts[index] for index in rest]
    left_counts, clean = sort_chains(left)
    for index, text, count, plain in zip(rest, left, left_counts, clean, strict=True):
        results[index] = _CLEAN[count] if plain else examine(text)
    return results
