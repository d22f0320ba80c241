"""Dataset statistics gathered in one streaming pass with bounded memory.

* Tokens are *estimated* as ``ceil(characters / 4)`` over all text of a record — the
  usual rule of thumb for English with BPE tokenizers; real counts differ by model
  and language (code and non-Latin scripts use more tokens per character).
* Distributions (messages and estimated tokens per record) are exact: they are kept
  as histograms whose size grows with the number of distinct values, not records.
* Exact duplicates are found by a 64-bit hash of each record's bytes kept in a set
  of at most :data:`MAX_TRACKED_DIGESTS` entries (about 70 MB at the cap). Past the
  cap new records are still compared with the stored ones but not added, and
  ``duplicate_check_complete`` is false. Records that differ only in key order or
  whitespace are not duplicates here.
* An output is *near-empty* when it has fewer than :data:`NEAR_EMPTY_CHARS`
  non-whitespace characters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from app.formats.issues import IssueLog
from app.formats.reasoning_stats import ReasoningCollector, ReasoningStats
from app.formats.source import JsonRecord
from app.formats.spec import Columns, RecordSummary

__all__ = [
    "CHARS_PER_TOKEN",
    "MAX_TRACKED_DIGESTS",
    "NEAR_EMPTY_CHARS",
    "DatasetStats",
    "Distribution",
    "StatsCollector",
]

CHARS_PER_TOKEN = 4
MAX_TRACKED_DIGESTS = 1_000_000
NEAR_EMPTY_CHARS = 3


@dataclass(frozen=True)
class Distribution:
    """Summary of a numeric distribution."""

    count: int
    min: float
    max: float
    mean: float
    p50: float
    p90: float
    p99: float
    #: True: percentiles are computed from every value (kept for readers of old reports).
    exact: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DatasetStats:
    """Figures about a dataset's records (see the module docstring for definitions)."""

    #: Records read (valid or not).
    records: int
    #: Records that passed every check; the figures below cover these.
    valid_records: int
    messages_per_record: Distribution
    role_counts: dict[str, int]
    estimated_tokens_per_record: Distribution
    estimated_tokens_total: int
    duplicate_records: int
    duplicate_check_complete: bool
    near_empty_outputs: int
    reasoning: ReasoningStats
    #: Format-specific figures (e.g. anthropic ``variant``, tabular ``columns``).
    details: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {
            **self.__dict__,
            "messages_per_record": self.messages_per_record.to_dict(),
            "estimated_tokens_per_record": self.estimated_tokens_per_record.to_dict(),
            "reasoning": self.reasoning.to_dict(),
        }


class _Tally:
    """Exact distribution of non-negative integers as a histogram (value -> count).

    Memory grows with the number of *distinct* values (at most the longest record's
    token estimate), not with the number of records.
    """

    def __init__(self) -> None:
        self.histogram: Counter[int] = Counter()

    @property
    def total(self) -> int:
        return sum(value * n for value, n in self.histogram.items())

    def result(self) -> Distribution:
        count = sum(self.histogram.values())
        if not count:
            return Distribution(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, True)
        ordered = sorted(self.histogram.items())

        def pick(q: float) -> float:
            rank = min(count - 1, int(q * count))
            seen = 0
            for value, n in ordered:
                seen += n
                if seen > rank:
                    return float(value)
            return float(ordered[-1][0])

        return Distribution(
            count,
            float(ordered[0][0]),
            float(ordered[-1][0]),
            self.total / count,
            pick(0.5),
            pick(0.9),
            pick(0.99),
            True,
        )


class StatsCollector:
    """Accumulates :class:`DatasetStats` record by record."""

    def __init__(self) -> None:
        self.records = 0
        self.valid = 0
        self.messages = _Tally()
        self.tokens = _Tally()
        self.roles: Counter[str] = Counter()
        self.digests: set[int] = set()
        self.duplicates = 0
        self.digests_full = False
        self.near_empty = 0
        self.reasoning = ReasoningCollector()

    def count_record(self, record: JsonRecord, log: IssueLog) -> None:
        """Count a record read from the file and check it for an exact duplicate."""
        self.count_raw(record.line, record.raw, log)

    def count_raw(self, line: int, raw: bytes, log: IssueLog) -> None:
        """Count the record of ``raw`` bytes at ``line`` and check it for an exact duplicate."""
        self.records += 1
        digest = hash(raw)
        if digest in self.digests:
            self.duplicates += 1
            log.warning(line, "", "exact duplicate of an earlier record", "stats.duplicate")
        elif len(self.digests) < MAX_TRACKED_DIGESTS:
            self.digests.add(digest)
        else:
            self.digests_full = True

    def count_raws(self, first: int, raws: list[bytes], log: IssueLog) -> None:
        """:meth:`count_raw` for consecutive records from line ``first`` (set operations in C)."""
        digests = self.digests
        hashes = list(map(hash, raws))
        fresh = set(hashes)
        if len(fresh) == len(raws) and digests.isdisjoint(fresh):
            self.records += len(raws)
            room = MAX_TRACKED_DIGESTS - len(digests)
            if room >= len(hashes):
                digests |= fresh
            else:  # as record by record: the first ones fill the set, the rest are not kept
                digests.update(hashes[:room])
                self.digests_full = True
            return
        for offset, raw in enumerate(raws):
            self.count_raw(first + offset, raw, log)

    def add_columns(self, first: int, columns: Columns, log: IssueLog) -> None:
        """:meth:`add_summary` for a block of valid records from line ``first``, in columns."""
        self.valid += len(columns.text_chars)
        self.messages.histogram.update(columns.message_counts)
        self.roles.update(columns.role_counts)
        # estimated from the distinct lengths (a few hundred a block), not record by record
        for chars, records in Counter(columns.text_chars).items():
            self.tokens.histogram[-(-chars // CHARS_PER_TOKEN)] += records
        texts = columns.output_texts
        rest = self.reasoning.count_plain_chains(texts)
        if not rest:  # a plain finished chain is never near-empty: nothing to warn about
            return
        lines = [first + columns.output_records[index] for index in rest]
        fields = [columns.output_field(columns.output_positions[index]) for index in rest]
        texts = [texts[index] for index in rest]
        # the block's warnings in their usual order: near-empty outputs first, then readings
        for line, field, text in zip(lines, fields, texts, strict=True):
            if len(text.strip()) < NEAR_EMPTY_CHARS:
                self.near_empty += 1
                log.warning(line, field, "near-empty output", "stats.near_empty")
        self.reasoning.add_others(lines, fields, texts, log)

    def add_valid(self, record: JsonRecord, summary: RecordSummary, log: IssueLog) -> None:
        """Add a valid record's figures and check its outputs."""
        self.add_summary(record.line, summary, log)

    def add_summary(self, line: int, summary: RecordSummary, log: IssueLog) -> None:
        """Add the figures of the valid record at ``line`` and check its outputs."""
        # this runs once per record of multi-GB files: plain dict increments, no helper calls
        self.valid += 1
        self.messages.histogram[len(summary.roles)] += 1
        roles = self.roles
        for role in summary.roles:
            roles[role] += 1
        self.tokens.histogram[-(-summary.text_chars // CHARS_PER_TOKEN)] += 1  # ceil, no floats
        for field, text in summary.outputs:
            if len(text.strip()) < NEAR_EMPTY_CHARS:
                self.near_empty += 1
                log.warning(line, field, "near-empty output", "stats.near_empty")
            self.reasoning.add(line, field, text, log)

    def result(self, details: dict[str, object]) -> DatasetStats:
        """The figures for the whole pass."""
        return DatasetStats(
            records=self.records,
            valid_records=self.valid,
            messages_per_record=self.messages.result(),
            role_counts=dict(self.roles),
            estimated_tokens_per_record=self.tokens.result(),
            estimated_tokens_total=self.tokens.total,
            duplicate_records=self.duplicates,
            duplicate_check_complete=not self.digests_full,
            near_empty_outputs=self.near_empty,
            reasoning=self.reasoning.result(),
            details=details,
        )
