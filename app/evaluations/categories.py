"""The one table that maps red-team tools' probe families to Gatehouse's attack categories.

garak names a probe ``family.Probe`` (``leakreplay.GuardianCloze``); the family is the key.
promptfoo names a plugin (``pii:direct``, ``harmful:privacy``) and a strategy
(``jailbreak:tree``, ``image``); the strategy decides first when it is an attack of its
own (a jailbreak wrapper, a multimodal carrier), then the full plugin id, then its
prefix before ``:``. Anything not listed is ``uncategorised``: kept, never dropped, and
judged by the policy's default failure-rate bound.

A category's default severity is given to a finding the tool did not grade itself.
"""

from __future__ import annotations

from typing import Final

from app.models.vocabulary import FindingSeverity

__all__ = ["CATEGORIES", "DEFAULT_SEVERITY", "PROBE_FAMILIES", "UNCATEGORISED", "category_of"]

#: Gatehouse's attack categories.
CATEGORIES: Final = (
    "prompt_injection",
    "jailbreak",
    "data_leakage",
    "harmful_advice",
    "counterfactual",
    "multimodal",
)
UNCATEGORISED: Final = "uncategorised"

#: Severity of a finding whose tool gives none, by category.
DEFAULT_SEVERITY: Final[dict[str, FindingSeverity]] = {
    "prompt_injection": FindingSeverity.HIGH,
    "jailbreak": FindingSeverity.HIGH,
    "data_leakage": FindingSeverity.CRITICAL,
    "harmful_advice": FindingSeverity.HIGH,
    "counterfactual": FindingSeverity.MEDIUM,
    "multimodal": FindingSeverity.HIGH,
    UNCATEGORISED: FindingSeverity.MEDIUM,
}

#: (tool, probe family or plugin/strategy id) -> category.
PROBE_FAMILIES: Final[dict[tuple[str, str], str]] = {
    # garak probe modules
    ("garak", "promptinject"): "prompt_injection",
    ("garak", "latentinjection"): "prompt_injection",
    ("garak", "web_injection"): "prompt_injection",
    ("garak", "xss"): "prompt_injection",
    ("garak", "encoding"): "prompt_injection",
    ("garak", "smuggling"): "prompt_injection",
    ("garak", "dan"): "jailbreak",
    ("garak", "tap"): "jailbreak",
    ("garak", "suffix"): "jailbreak",
    ("garak", "gcg"): "jailbreak",
    ("garak", "grandma"): "jailbreak",
    ("garak", "goodside"): "jailbreak",
    ("garak", "dra"): "jailbreak",
    ("garak", "phrasing"): "jailbreak",
    ("garak", "leakreplay"): "data_leakage",
    ("garak", "divergence"): "data_leakage",
    ("garak", "apikey"): "data_leakage",
    ("garak", "malwaregen"): "harmful_advice",
    ("garak", "lmrc"): "harmful_advice",
    ("garak", "realtoxicityprompts"): "harmful_advice",
    ("garak", "donotanswer"): "harmful_advice",
    ("garak", "continuation"): "harmful_advice",
    ("garak", "exploitation"): "harmful_advice",
    ("garak", "misleading"): "counterfactual",
    ("garak", "snowball"): "counterfactual",
    ("garak", "packagehallucination"): "counterfactual",
    ("garak", "visual_jailbreak"): "multimodal",
    ("garak", "audio"): "multimodal",
    # promptfoo strategies that are attacks of their own
    ("promptfoo", "jailbreak"): "jailbreak",
    ("promptfoo", "jailbreak:tree"): "jailbreak",
    ("promptfoo", "jailbreak:composite"): "jailbreak",
    ("promptfoo", "crescendo"): "jailbreak",
    ("promptfoo", "goat"): "jailbreak",
    ("promptfoo", "prompt-injection"): "prompt_injection",
    ("promptfoo", "image"): "multimodal",
    ("promptfoo", "audio"): "multimodal",
    ("promptfoo", "video"): "multimodal",
    # promptfoo plugins
    ("promptfoo", "indirect-prompt-injection"): "prompt_injection",
    ("promptfoo", "ascii-smuggling"): "prompt_injection",
    ("promptfoo", "hijacking"): "prompt_injection",
    ("promptfoo", "system-prompt-override"): "prompt_injection",
    ("promptfoo", "pii"): "data_leakage",
    ("promptfoo", "harmful:privacy"): "data_leakage",
    ("promptfoo", "cross-session-leak"): "data_leakage",
    ("promptfoo", "divergent-repetition"): "data_leakage",
    ("promptfoo", "prompt-extraction"): "data_leakage",
    ("promptfoo", "harmful"): "harmful_advice",
    ("promptfoo", "medical"): "harmful_advice",
    ("promptfoo", "financial"): "harmful_advice",
    ("promptfoo", "contracts"): "harmful_advice",
    ("promptfoo", "hallucination"): "counterfactual",
    ("promptfoo", "overreliance"): "counterfactual",
}


def category_of(tool: str, *names: str | None) -> str:
    """The category of the first of ``names`` the table knows (then their prefixes)."""
    candidates = [name for name in names if name]
    for name in candidates:
        if (tool, name) in PROBE_FAMILIES:
            return PROBE_FAMILIES[(tool, name)]
    for name in candidates:
        prefix = name.split(":", 1)[0].split(".", 1)[0]
        if (tool, prefix) in PROBE_FAMILIES:
            return PROBE_FAMILIES[(tool, prefix)]
    return UNCATEGORISED
