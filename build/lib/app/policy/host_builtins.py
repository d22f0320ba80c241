"""The Rego built-ins that OPA leaves to the host of a compiled (wasm) policy.

``opa build -t wasm`` compiles most built-ins into the module; the policies use two that
it does not: ``sprintf`` and ``time.parse_rfc3339_ns``. They are written here once, to
OPA's own semantics (OPA implements both with Go's standard library), and
``tests/policy/test_host_builtins.py`` checks them against the real ``opa eval`` on a
table of cases. A built-in answers ``None`` (undefined) where OPA's would fail, as OPA
does outside strict mode.

- ``sprintf(format, values)``: OPA hands Go's ``fmt.Sprintf`` each number as an
  ``int`` when it is integral and a ``float64`` otherwise, each string as a string and
  any other value as its Rego text (``true``, ``null``, ``["a", 1]``). The verbs,
  flags, width and precision here follow Go's for those three kinds of argument.
  Sets reach the host as JSON arrays, so a set prints as an array.
- ``time.parse_rfc3339_ns(text)``: Go's ``time.Parse(time.RFC3339, text)`` in
  nanoseconds since the epoch: ``T`` between date and time, seconds required, an optional
  fraction (nanoseconds; further digits are ignored), ``Z`` or a ``±hh:mm`` offset; the date must exist.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.policy.wasm_abi import HostBuiltin

__all__ = ["HOST_BUILTINS", "go_sprintf", "parse_rfc3339_ns"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})\Z"
)
# Nanoseconds since the epoch must fit Go's int64.
_NS_RANGE = (-(2**63), 2**63 - 1)


def parse_rfc3339_ns(text: Any) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 timestamp, or None (undefined)."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zone = match.group(7) or "", match.group(8)
    if year == 0 or not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    offset = 0
    if zone != "Z":
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 24 or zone_minutes > 60:
            return None
        offset = (zone_hours * 60 + zone_minutes) * 60 * (-1 if zone[0] == "-" else 1)
    seconds = calendar.timegm((year, month, day, hour, minute, second)) - offset
    nanoseconds = seconds * 1_000_000_000 + int(fraction[:9].ljust(9, "0"))
    if not _NS_RANGE[0] <= nanoseconds <= _NS_RANGE[1]:
        return None
    return nanoseconds


# ---------------------------------------------------------------- sprintf (Go's fmt)

_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])")


def _rego_text(value: Any) -> str:
    """A value as OPA prints a term: JSON-like, with ", " and ": " separators."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_rego_text(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ", ".join(f"{_rego_text(k)}: {_rego_text(v)}" for k, v in items) + "}"
    return _number_text(value)


def _number_text(value: int | float) -> str:
    """A number as Go's %v prints it (int, or float64 in shortest %g form)."""
    return str(value) if isinstance(value, int) else _go_float(value, "g", None)


def _go_argument(value: Any) -> Any:
    """What OPA hands fmt.Sprintf: int64, float64, string, or the term's Rego text.

    A JSON number with a fraction or an exponent (``90.0``) stays a float64, as in OPA.
    """
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        return _RegoTerm(_rego_text(value))
    return value


class _RegoTerm(str):
    """A non-scalar value OPA passes to Go's fmt as its printed Rego text."""


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest round-trip digits of |value| and the decimal exponent of the first."""
    _, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    text = "".join(map(str, digits)).lstrip("0") or "0"
    trimmed = text.rstrip("0") or "0"
    return trimmed, len(text) + int(exponent) - 1 if text != "0" else 0


def _go_exponent(exponent: int) -> str:
    return ("e-" if exponent < 0 else "e+") + f"{abs(exponent):02d}"


def _go_float(value: float, verb: str, precision: int | None) -> str:
    """Go's strconv formatting of a float64 for %e, %f and %g (shortest when no precision)."""
    sign = "-" if value < 0 or (value == 0 and str(value).startswith("-")) else ""
    if verb == "f":
        return sign + f"{abs(value):.{6 if precision is None else precision}f}"
    if verb == "e":
        text = f"{abs(value):.{6 if precision is None else precision}e}"
        mantissa, exponent_text = text.split("e")
        return sign + mantissa + _go_exponent(int(exponent_text))
    # %g: exponent form when the exponent is < -4 or >= the precision (6 for shortest).
    if precision is None:
        digits, exponent = _shortest_digits(value)
        limit = 6
    else:
        rounded = f"{abs(value):.{max(precision, 1) - 1}e}"
        mantissa, exponent_text = rounded.split("e")
        digits, exponent = mantissa.replace(".", "").rstrip("0") or "0", int(exponent_text)
        limit = max(precision, 1)
    if exponent < -4 or exponent >= limit:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return sign + mantissa + _go_exponent(exponent)
    if exponent < 0:
        return sign + "0." + "0" * (-exponent - 1) + digits
    whole = digits[: exponent + 1].ljust(exponent + 1, "0")
    fraction = digits[exponent + 1 :]
    return sign + whole + ("." + fraction if fraction else "")


def _go_quote(text: str) -> str:
    """Go's strconv.Quote: printable characters kept, the rest escaped."""
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    escapes |= {"\v": "\\v", "\\": "\\\\", '"': '\\"'}
    out = []
    for character in text:
        if character in escapes:
            out.append(escapes[character])
        elif character.isprintable() or character == " ":
            out.append(character)
        elif ord(character) < 0x10000:
            out.append(
                f"\\u{ord(character):04x}" if ord(character) > 0xFF else f"\\x{ord(character):02x}"
            )
        else:
            out.append(f"\\U{ord(character):08x}")
    return '"' + "".join(out) + '"'


def _go_type(value: Any) -> str:
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "string"


def _bad_verb(verb: str, value: Any) -> str:
    shown = value if isinstance(value, str) else _number_text(value)
    return f"%!{verb}({_go_type(value)}={shown})"


def _format_one(verb: str, flags: str, precision: int | None, value: Any) -> str:
    """One verb applied to one argument, before padding to the width."""
    is_string = isinstance(value, str)
    if verb in "vs" and is_string:
        return value if precision is None else value[:precision]
    if verb == "q" and is_string:
        return _go_quote(value)
    if verb == "v" and isinstance(value, float):
        return _go_float(value, "g", precision)
    if verb == "v":
        return str(value)
    if verb == "d" and isinstance(value, int):
        return str(value)
    if verb in "efg" and isinstance(value, float):
        return _go_float(value, verb, precision)
    if verb in "xX" and isinstance(value, int):
        text = format(abs(value), "x" if verb == "x" else "X")
        return ("-" if value < 0 else "") + ("0x" if "#" in flags else "") + text
    if verb in "xX" and is_string:
        return value.encode().hex() if verb == "x" else value.encode().hex().upper()
    return _bad_verb(verb, value)


def _pad(text: str, flags: str, width: int | None, numeric: bool) -> str:
    if "+" in flags and numeric and not text.startswith("-"):
        text = "+" + text
    elif " " in flags and numeric and not text.startswith("-"):
        text = " " + text
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and numeric:
        sign = text[0] if text[0] in "+- " else ""
        return sign + text[len(sign) :].rjust(width - len(sign), "0")
    return text.rjust(width)


def go_sprintf(template: Any, values: Any) -> str | None:
    """``sprintf(template, values)`` as OPA computes it (Go's fmt.Sprintf)."""
    if not isinstance(template, str) or not isinstance(values, list):
        return None
    arguments = [_go_argument(value) for value in values]
    out: list[str] = []
    used = 0
    position = 0
    for match in _VERB.finditer(template):
        out.append(template[position : match.start()])
        position = match.end()
        flags, width, precision_text, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if used >= len(arguments):
            out.append(f"%!{verb}(MISSING)")
            continue
        value = arguments[used]
        used += 1
        precision = None if precision_text is None else int(precision_text or 0)
        text = _format_one(verb, flags, precision, value)
        numeric = isinstance(value, int | float) and not text.startswith("%!")
        out.append(_pad(text, flags, int(width) if width else None, numeric))
    out.append(template[position:])
    if used < len(arguments):
        extra = ", ".join(
            f"{_go_type(value)}={value if isinstance(value, str) else _number_text(value)}"
            for value in arguments[used:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


#: The host built-ins a compiled Gatehouse policy may call, by Rego name.
HOST_BUILTINS: Mapping[str, HostBuiltin] = {
    "sprintf": go_sprintf,
    "time.parse_rfc3339_ns": parse_rfc3339_ns,
}
