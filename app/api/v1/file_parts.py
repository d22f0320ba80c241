"""Multipart file parts as fields of a request model.

Declaring the file beside the form's text fields puts it in the OpenAPI document (a
``string`` of ``format: binary``, which generated clients and fuzzers send as a file) and
lets spectree refuse a request without it like any missing field: a 422 naming ``file``.
spectree hands the model the request's text fields and its files together, so a text
field of the same name is not taken for a file.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema
from werkzeug.datastructures import FileStorage

__all__ = ["FilePart", "OptionalFilePart"]


def _file_part(value: Any) -> FileStorage:
    if isinstance(value, FileStorage) and value.filename:
        return value
    raise ValueError("send a file here: a multipart part with a filename")


#: A multipart part carrying a file (with a filename).
FilePart = Annotated[
    FileStorage,
    PlainValidator(_file_part),
    WithJsonSchema({"type": "string", "format": "binary"}),
]

#: A file part that may be left out (its field defaults to None).
OptionalFilePart = Annotated[
    FileStorage | None,
    PlainValidator(_file_part),
    WithJsonSchema({"type": "string", "format": "binary"}),
]
