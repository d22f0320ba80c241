"""Gemini (Vertex AI) tuning format: JSON Lines of ``{"contents": [...]}``.

Each content has ``role`` user or model and a non-empty ``parts`` list; a part holds
exactly one of ``text``, ``inlineData`` (``mimeType`` + base64 ``data``) or
``fileData`` (``mimeType`` + ``fileUri``). Snake-case spellings (``inline_data``,
``mime_type``, ``file_uri``) are accepted too. Turns alternate user/model and at least
one model turn is required. An optional ``systemInstruction`` holds text parts.
Conversion handles the text-only subset; other parts are counted as dropped.

Sources: Vertex AI "Prepare supervised fine-tuning data for Gemini models" (the
``systemInstruction`` / ``contents`` / ``parts`` layout; ``systemInstruction.role`` is
ignored) and "About supervised fine-tuning for Gemini models" (limits). Limits checked
(Gemini 2.5 Flash): at most 131,072 input and output tokens per example (estimated),
1 GB of JSON Lines, 1M text-only examples (the page says 300K for multimodal data;
Gemini 1.5 pages say 32,000 tokens). The docs disagree on the minimum: one version of
the "about" page requires 16 examples, the "prepare" page only recommends starting
with 100; 16 is checked.
"""

from __future__ import annotations

import binascii
from typing import Any

from app.formats.conversation import Conversation, LossTally, Turn
from app.formats.entry import FormatEntry
from app.formats.issues import IssueLog
from app.formats.jsontypes import expected_one_of, has_type
from app.formats.limits import PlatformLimits
from app.formats.source import JsonRecord
from app.formats.spec import JsonLinesFormat, RecordSummary

__all__ = [
    "ALLOWED_MIME_TYPES",
    "ENTRY",
    "GEMINI_SFT_LIMITS",
    "Gemini",
    "check_alternating",
    "check_content",
    "texts_of",
]

ROLES = ("user", "model")
#: Media types Gemini tuning accepts for inline and file parts.
ALLOWED_MIME_TYPES = frozenset(
    {
        "application/pdf",
        "audio/aac",
        "audio/flac",
        "audio/mp3",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "image/heic",
        "image/heif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "text/plain",
        "video/3gpp",
        "video/avi",
        "video/mov",
        "video/mp4",
        "video/mpeg",
        "video/webm",
        "video/wmv",
        "video/x-flv",
    }
)
_PART_KINDS = {
    "text": "text",
    "inlineData": "inlineData",
    "inline_data": "inlineData",
    "fileData": "fileData",
    "file_data": "fileData",
}
_ROLE_OF = {"user": "user", "model": "assistant"}
_GEMINI_ROLE = {"user": "user", "assistant": "model"}


def _either(value: dict[str, object], camel: str, snake: str) -> object:
    return value.get(camel, value.get(snake))


def _check_mime(value: dict[str, object], path: str, line: int, log: IssueLog) -> None:
    mime = _either(value, "mimeType", "mime_type")
    if mime is None:
        log.error(line, f"{path}.mimeType", "required field is missing", "field.missing")
    elif mime not in ALLOWED_MIME_TYPES:
        log.error(
            line,
            f"{path}.mimeType",
            f"media type {mime!s} is not allowed for Gemini tuning",
            "gemini.mime",
        )


def _check_part(part: object, path: str, line: int, log: IssueLog) -> None:
    if not has_type(part, dict, line, path, log):
        return
    kinds = [key for key in part if key in _PART_KINDS]
    if len(kinds) != 1:
        found = ", ".join(kinds) or ", ".join(part) or "nothing"
        log.error(
            line,
            path,
            f"a part holds exactly one of text, inlineData, fileData; found {found}",
            "gemini.part",
        )
        return
    key = kinds[0]
    body = part[key]
    body_path = f"{path}.{key}"
    if _PART_KINDS[key] == "text":
        has_type(body, str, line, body_path, log)
        return
    if not has_type(body, dict, line, body_path, log):
        return
    _check_mime(body, body_path, line, log)
    if _PART_KINDS[key] == "inlineData":
        data = body.get("data")
        if not isinstance(data, str) or not data:
            log.error(line, f"{body_path}.data", "base64 data is missing", "field.missing")
            return
        try:
            binascii.a2b_base64(data, strict_mode=True)
        except binascii.Error as bad:
            log.error(line, f"{body_path}.data", f"not valid base64: {bad}", "gemini.base64")
    else:
        uri = _either(body, "fileUri", "file_uri")
        if not isinstance(uri, str) or "://" not in uri:
            log.error(
                line,
                f"{body_path}.fileUri",
                "a file reference needs a URI such as gs://bucket/file",
                "gemini.uri",
            )


def check_content(
    content: object, path: str, line: int, log: IssueLog, *, text_only: bool = False
) -> str | None:
    """Check one content (``role`` + non-empty ``parts``); return its role when valid."""
    if not has_type(content, dict, line, path, log):
        return None
    role = content.get("role")
    if role not in ROLES:
        log.error(line, f"{path}.role", expected_one_of(ROLES, role), "gemini.role")
        role = None
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        log.error(line, f"{path}.parts", "expected a non-empty array of parts", "field.type")
        return role
    for part_index, part in enumerate(parts):
        part_path = f"{path}.parts[{part_index}]"
        if text_only and not (isinstance(part, dict) and set(part) == {"text"}):
            log.error(line, part_path, "only text parts are allowed here", "gemini.text_only")
        else:
            _check_part(part, part_path, line, log)
    return role


def texts_of(parts: list[dict[str, object]]) -> list[str]:
    """The text of each text part."""
    return _texts(parts)


def _texts(parts: list[dict[str, object]]) -> list[str]:
    return [part["text"] for part in parts if isinstance(part.get("text"), str)]  # type: ignore[misc]


def check_alternating(
    contents: list[object], line: int, log: IssueLog, *, text_only: bool = False
) -> None:
    """Check every content and that user and model turns alternate."""
    previous: object = None
    for index, content in enumerate(contents):
        path = f"contents[{index}]"
        role = check_content(content, path, line, log, text_only=text_only)
        if role is not None and role == previous:
            log.error(
                line,
                f"{path}.role",
                f"turns must alternate user/model; got {role} twice",
                "gemini.alternation",
            )
        previous = role


class Gemini(JsonLinesFormat):
    """The ``gemini_multimodal`` format."""

    name = "gemini_multimodal"

    def check_object(self, value: dict[str, Any], line: int, log: IssueLog) -> None:
        """Roles, alternation, parts, media types, base64 and file references."""
        system = _either(value, "systemInstruction", "system_instruction")
        if system is not None:
            parts = system.get("parts") if isinstance(system, dict) else None
            if not isinstance(parts, list) or any(
                not isinstance(p, dict) or "text" not in p for p in parts
            ):
                log.error(
                    line,
                    "systemInstruction.parts",
                    "expected an array of text parts",
                    "gemini.system",
                )
        contents = value.get("contents")
        if "contents" not in value:
            log.error(line, "contents", "required field is missing", "field.missing")
            return
        if not isinstance(contents, list) or not contents:
            log.error(line, "contents", "expected a non-empty array", "field.type")
            return
        check_alternating(contents, line, log)
        if not any(isinstance(c, dict) and c.get("role") == "model" for c in contents):
            log.error(line, "contents", "at least one model turn is required", "gemini.no_model")

    def summarize_object(self, value: dict[str, Any]) -> RecordSummary:
        """Roles, model text, and the text size."""
        chars = 0
        system = _either(value, "systemInstruction", "system_instruction")
        if isinstance(system, dict):
            chars += sum(len(text) for text in _texts(system["parts"]))
        outputs: list[tuple[str, str]] = []
        contents: list[dict[str, Any]] = value["contents"]
        for index, content in enumerate(contents):
            for part_index, part in enumerate(content["parts"]):
                if "text" in part:
                    chars += len(part["text"])
                    if content["role"] == "model":
                        outputs.append(
                            (f"contents[{index}].parts[{part_index}].text", part["text"])
                        )
        return RecordSummary(tuple(str(c["role"]) for c in contents), tuple(outputs), chars)

    def to_conversation(self, record: JsonRecord, losses: LossTally) -> Conversation:
        """Text parts only; media parts are counted as dropped."""
        value: dict[str, Any] = record.value
        system = _either(value, "systemInstruction", "system_instruction")
        system_text = "\n\n".join(_texts(system["parts"])) if isinstance(system, dict) else None
        turns = []
        for content in value["contents"]:
            parts = content["parts"]
            texts = _texts(parts)
            if len(texts) < len(parts):
                losses.note("non-text part dropped", len(parts) - len(texts))
            if len(texts) > 1:
                losses.note("text parts joined into one text")
            turns.append(Turn(_ROLE_OF[content["role"]], "".join(texts)))  # type: ignore[arg-type]
        return Conversation(system_text, tuple(turns))

    def from_conversation(self, conversation: Conversation, losses: LossTally) -> object | None:
        """One text part per turn; the system prompt becomes ``systemInstruction``."""
        if not any(turn.role == "assistant" for turn in conversation.turns):
            losses.note("record without an assistant turn skipped")
            return None
        contents = [
            {"role": _GEMINI_ROLE[t.role], "parts": [{"text": t.text}]} for t in conversation.turns
        ]
        if conversation.system is None:
            return {"contents": contents}
        return {
            "systemInstruction": {"parts": [{"text": conversation.system}]},
            "contents": contents,
        }

    @staticmethod
    def claims(value: dict[str, Any]) -> bool:
        """Vertex AI's ``contents``."""
        return "contents" in value


#: Vertex AI's limits for Gemini 2.5 Flash supervised tuning (see the module docstring).
GEMINI_SFT_LIMITS = PlatformLimits(
    platform="Vertex AI Gemini supervised tuning",
    min_examples=16,
    max_examples=1_000_000,
    max_example_tokens=131_072,
    max_file_bytes=1024 * 1024 * 1024,
)

ENTRY = FormatEntry(
    handler=Gemini,
    title="Google Gemini supervised tuning on Vertex AI (contents, parts, media)",
    limits=GEMINI_SFT_LIMITS,
    conversions=frozenset({"chat"}),
)
