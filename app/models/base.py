"""Column types and helpers shared by every table.

Timestamps are stored and returned UTC-aware on every backend: SQLite keeps no zone,
so :class:`UTCDateTime` re-attaches UTC on the way out. Every column type made here is a
:class:`StoredValueType`: a stored value it cannot read (changed behind Gatehouse's back)
raises :class:`~app.errors.StoredValueError` naming the column, never the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from json.encoder import encode_basestring_ascii
from typing import Annotated, Any, TypeVar

import pydantic
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declared_attr
from sqlalchemy.sql.base import SchemaEventTarget
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig  # the config type SQLModel classes declare

from app.errors import StoredValueError

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

#: What reading a stored value can raise when the value is not of the column's type: a
#: date that is no date, JSON that does not parse (or nests too deep to), a string
#: outside a vocabulary, a number where text was expected.
_UNREADABLE = (ValueError, TypeError, RecursionError)


class StoredValueType(TypeDecorator[T]):
    """A column type whose unreadable stored value raises :class:`StoredValueError` naming
    the column (``table.column``), never the value, which may be personal data.

    The dialect's own processor (SQLite's date parser, the JSON decoder) runs before
    :meth:`process_result_value`, so the whole result processor is wrapped. The column is
    the one SQLAlchemy attaches the type to (a type is a schema event target, as an
    ``Enum`` is to name its constraint); a copy of the column gives its copy of the type.
    """

    cache_ok = True
    #: The column this type was attached to; ``None`` for a type used outside a column.
    column: sa.Column[Any] | None = None

    def _set_parent(self, parent: SchemaEventTarget, outer: bool = False, **kw: Any) -> None:
        super()._set_parent(parent, outer=outer, **kw)
        if isinstance(parent, sa.Column):
            self.column = parent

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        read = super().result_processor(dialect, coltype)
        if read is None:
            return None
        # Worked out once per dialect (SQLAlchemy keeps the processor), not per row.
        where = self._where()

        def read_or_refuse(value: Any) -> Any:
            try:
                return read(value)
            except _UNREADABLE as error:
                # Not chained: the original error's message quotes the value, and a
                # logged traceback would print it.
                raise StoredValueError(
                    f"the stored value of {where} cannot be read ({type(error).__name__}); "
                    "the database was changed outside Gatehouse or is damaged, so nothing "
                    "that depends on it is decided"
                ) from None

        return read_or_refuse

    def _where(self) -> str:
        column = self.column
        if column is None:
            return f"an expression of type {type(self).__name__}"
        table = getattr(column, "table", None)
        return (
            f"column '{column.name}'" if table is None else f"column '{table.name}.{column.name}'"
        )


class UTCDateTime(StoredValueType[datetime]):
    """A timezone-aware UTC timestamp on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Gatehouse stores UTC-aware timestamps only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time, UTC-aware (the only clock the models use)."""
    return datetime.now(UTC)


def timestamp_field(*, index: bool = False, nullable: bool = False) -> Any:
    """A UTC timestamp column: defaults to now, or to NULL when ``nullable``."""
    column: sa.Column[datetime] = sa.Column(UTCDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utc_now, sa_column=column)


class JSONType(StoredValueType[Any]):
    """A JSON column (``JSON`` on PostgreSQL, ``TEXT`` on SQLite), as ``sa.JSON`` is."""

    impl = sa.JSON
    cache_ok = True
    # As sa.JSON's: Python None is stored as JSON null, and values (dicts, lists) are
    # not hashable.
    should_evaluate_none = True
    hashable = False


def json_field(*, default_factory: Any = dict) -> Any:
    """A JSON column (JSONB-compatible on PostgreSQL, TEXT on SQLite)."""
    return Field(default_factory=default_factory, sa_column=sa.Column(JSONType(), nullable=False))


#: Encodes a value as JSON columns store it: sorted keys, no spaces, ASCII only. The
#: ledger hashes payloads in this encoding, so a stored payload verifies by one hash.
encode_json = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class EncodedJSON:
    """A JSON column's value, already encoded by :data:`encode_json`: stored as ``text``.

    For a value whose encoding is hashed anyway (a ledger payload, a decision's input):
    encoded once, the same text is hashed and stored, where the column would encode the
    value again (the engine's JSON serializer in ``app.db`` writes ``text`` as it is).
    """

    text: str
    """What :data:`encode_json` gives for the value (made by :meth:`of` or :func:`encoded_object`)."""

    @classmethod
    def of(cls, value: Any) -> EncodedJSON:
        """``value`` encoded as a JSON column stores it."""
        return cls(encode_json(value))


def encoded_members(value: dict[str, Any]) -> dict[str, str]:
    """Each member of the object ``value`` encoded by :data:`encode_json`, in key order."""
    return {key: encode_json(value[key]) for key in sorted(value)}


def encoded_object(members: dict[str, str], *, without: Collection[str] = ()) -> str:
    """The :data:`encode_json` text of the object of ``members`` (less those ``without``).

    An object's encoding is its members' in key order, so an object and a part of it (a
    decision's input and its evidence) are both written from one encoding of each member.
    """
    return (
        "{"
        + ",".join(
            f"{encode_basestring_ascii(key)}:{text}"
            for key, text in members.items()
            if key not in without
        )
        + "}"
    )


class StrEnumType(StoredValueType[E]):
    """A vocabulary column: stored as the member's plain string, read back as the member.

    The column stays a ``VARCHAR`` (no database enum type, so no migration when a
    vocabulary grows); writing a string outside the vocabulary raises before it is stored,
    and reading one (written behind Gatehouse's back) raises :class:`StoredValueError`.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, vocabulary: type[E], length: int) -> None:
        super().__init__(length)
        self.vocabulary = vocabulary

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.vocabulary(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.vocabulary(value)


def vocabulary_field(
    vocabulary: type[E],
    *,
    length: int,
    default: E | None = None,
    nullable: bool = False,
    index: bool = False,
) -> Any:
    """A column holding one member of ``vocabulary`` (``NULL`` only when ``nullable``)."""
    column: sa.Column[E] = sa.Column(
        StrEnumType(vocabulary, length), nullable=nullable, index=index
    )
    if default is None and not nullable:
        return Field(sa_column=column)
    return Field(default=default, sa_column=column)


#: The config of a family's input models (``XCreate``): unknown fields are an error and
#: strings are stripped, so a typo in a pipeline's payload is a clear 4xx.
STRICT_INPUT = SQLModelConfig(extra="forbid", str_strip_whitespace=True)


#: The largest id a row can have: ids are INTEGER columns, 32-bit on PostgreSQL.
LARGEST_ROW_ID = 2**31 - 1

#: An id a request names: the type of every ``*_id`` / ``*_ids`` member of a request model
#: (API body and query, portal form, CLI). A larger one can name no row, and PostgreSQL
#: refuses to compare it with an INTEGER column, so both databases answer the same 422
#: naming the field, before the database is asked.
RowId = Annotated[int, pydantic.Field(ge=1, le=LARGEST_ROW_ID)]


class TableRow(SQLModel):
    """What a family's table adds to its ``XBase``: the surrogate key and the table's name.

    Put it first among the bases (``class X(TableRow, XBase, table=True)``) so the key
    stays the last column, as the revisions created it. The table is named after the
    class in snake case (``DatasetVersion`` is ``dataset_version``), the rule
    Flask-SQLAlchemy follows; a table named otherwise says so with its own
    ``__tablename__``.
    """

    id: int | None = Field(default=None, primary_key=True)

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return _CAPITAL_INSIDE_A_NAME.sub("_", cls.__name__).lower()


#: Where a snake-case name puts an underscore: before each capital but the first.
_CAPITAL_INSIDE_A_NAME = re.compile(r"(?<!^)(?=[A-Z])")


class PublicRow(SQLModel):
    """What a family's ``XPublic`` adds to its ``XBase``: the key, always set once stored."""

    id: int
