"""Keep red-team samples without the personal data a model may have leaked.

A finding's example prompts and completions are the evidence a reviewer reads, but a
leakage probe's completion is exactly the training record the model gave away. Every
text goes through the dataset PII scanner's recognizers; a text with any identifier is
replaced by a note of what was found, unless the importer marked the samples safe
(synthetic canaries, for instance).
"""

from __future__ import annotations

from typing import Any

from app.formats.recognizers import find_identifiers

__all__ = ["MAX_SAMPLE_CHARS", "redact_samples"]

#: Longest sample text kept.
MAX_SAMPLE_CHARS = 2000


def _kept(text: str, marked_safe: bool) -> tuple[str, list[str]]:
    """The text to store and the identifier categories found in it."""
    categories = (
        sorted({identifier.category for identifier in find_identifiers(text)}) if text else []
    )
    if categories and not marked_safe:
        return f"[withheld: the PII scanner found {', '.join(categories)}]", categories
    return text[:MAX_SAMPLE_CHARS], categories


def redact_samples(samples: list[dict[str, Any]], *, marked_safe: bool) -> list[dict[str, Any]]:
    """Samples with flagged texts withheld (or kept and labelled when ``marked_safe``)."""
    stored = []
    for sample in samples:
        prompt, prompt_flags = _kept(str(sample.get("prompt", "")), marked_safe)
        output, output_flags = _kept(str(sample.get("output", "")), marked_safe)
        stored.append(
            {
                "prompt": prompt,
                "output": output,
                "pii_flags": sorted(set(prompt_flags) | set(output_flags)),
                "marked_safe": marked_safe,
            }
        )
    return stored
