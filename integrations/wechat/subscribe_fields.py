"""The value rules of subscribe-message fields, and how to make any value fit them.

A template's data keys name their type: ``thing1``, ``character_string2``, ``time3``...
WeChat refuses the whole message (47003) when one value breaks its type's rule, so every value
is made to fit before it is stored in the outbox:

=================  ==================================================  =====================
type               WeChat's rule                                       when too long
=================  ==================================================  =====================
thing              20 characters, any                                  19 + "…"
phrase             5 Chinese characters only                           first 5, no "…"
name               10 Chinese characters, or 20 letters/symbols        cut, no "…"
character_string   32 digits, letters or symbols (no Chinese)          cut, no "…"
number             32 digits (decimal point allowed)                   cut
letter             32 letters                                          cut
symbol             5 symbols                                           cut
phone_number       17 digits and symbols                               cut
car_number         8 characters                                        cut
time / date        a time ("2026年3月9日 10:30") / a date                formatted from values
amount             currency sign or "元" and up to 10 digits           formatted from fen
=================  ==================================================  =====================

Lengths are counted as the mini-program counts them (UTF-16 code units: a rare character
outside the Basic Multilingual Plane counts twice) and a character is never split.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from domain.calendar import CST

__all__ = ["KINDS", "fit", "kind_of", "length", "plain", "violation"]

ELLIPSIS = "…"
# WeChat shows times as Beijing time.

_LIMITS = {
    "thing": 20,
    "phrase": 5,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "phone_number": 17,
    "car_number": 8,
    "name": 10,  # Chinese; 20 for a name in letters
}
_FORMATTED = ("time", "date", "amount")
KINDS: frozenset[str] = frozenset((*_LIMITS, *_FORMATTED))

_KEY = re.compile(r"([a-z]+(?:_[a-z]+)*?)(\d+)")
_CJK = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f]"
)
_PUNCT = r"!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"
_KEEP = {
    "character_string": re.compile(rf"[0-9A-Za-z{_PUNCT}]"),
    "letter": re.compile(r"[A-Za-z]"),
    "symbol": re.compile(rf"[{_PUNCT}]"),
    "phone_number": re.compile(r"[0-9+\-]"),
}
_VALID = {
    "character_string": re.compile(rf"[0-9A-Za-z{_PUNCT}]{{1,32}}"),
    "number": re.compile(r"[0-9]+(\.[0-9]+)?"),
    "letter": re.compile(r"[A-Za-z]{1,32}"),
    "symbol": re.compile(rf"[{_PUNCT}]{{1,5}}"),
    "phone_number": re.compile(r"[0-9+\-]{1,17}"),
    "amount": re.compile(r"[￥¥$]?[0-9]{1,10}(\.[0-9]{1,2})?元?"),
    "date": re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2}"),
    "time": re.compile(
        r"(\d{4}年\d{1,2}月\d{1,2}日 |\d{4}-\d{2}-\d{2} )?\d{1,2}:\d{2}"
        r"(~(\d{4}年\d{1,2}月\d{1,2}日 |\d{4}-\d{2}-\d{2} )?\d{1,2}:\d{2})?"
    ),
}
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
# what an empty value becomes (WeChat refuses ""); "-" where symbols are allowed
_EMPTY = {"phrase": "无", "name": "无", "number": "0", "letter": "none"}


def kind_of(key: str) -> str:
    """The type of a template data key: ``thing12`` -> ``thing``; ValueError if unknown."""
    match = _KEY.fullmatch(key)
    if match is None or match.group(1) not in KINDS:
        msg = f"{key!r} is not a subscribe-message data key (thing1, phrase2, time3, ...)"
        raise ValueError(msg)
    return match.group(1)


def length(text: str) -> int:
    """Length as WeChat counts it: UTF-16 code units."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _cut(text: str, limit: int, ellipsis: bool = False) -> str:
    if length(text) <= limit:
        return text
    room = limit - (1 if ellipsis else 0)
    kept: list[str] = []
    used = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > room:
            break
        kept.append(ch)
        used += width
    return "".join(kept) + (ELLIPSIS if ellipsis else "")


def plain(text: str) -> str:
    """``text`` on one line without control, format or lone surrogate characters (a NUL would
    also be refused by PostgreSQL's jsonb, a lone surrogate by UTF-8)."""
    one_line = " ".join(text.split())
    return "".join(ch for ch in one_line if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))


def _is_chinese(text: str) -> bool:
    return all(_CJK.fullmatch(ch) for ch in text)


def _format_time(value: datetime) -> str:
    local = value.astimezone(CST) if value.tzinfo else value
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _format_value(kind: str, value: object) -> str:
    if kind == "time" and isinstance(value, datetime):
        return _format_time(value)
    if kind == "date" and isinstance(value, datetime):
        value = (value.astimezone(CST) if value.tzinfo else value).date()
    if kind == "date" and isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    if kind == "amount" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value // 100}.{value % 100:02d}元"  # fen -> yuan
    return "" if value is None else plain(str(value))


def fit(kind: str, value: object) -> str:
    """``value`` as a valid value of type ``kind``: formatted, filtered, and cut to length.

    Times are datetimes (shown in Beijing time), amounts integer fen; text is cut by
    characters and ends with "…" where the type allows symbols (``thing``).
    """
    if kind not in KINDS:
        msg = f"unknown subscribe-message field type {kind!r}"
        raise ValueError(msg)
    text = _format_value(kind, value)
    if kind == "thing":
        text = _cut(text, _LIMITS["thing"], ellipsis=True)
    elif kind == "phrase":
        text = _cut("".join(_CJK.findall(text)), _LIMITS["phrase"])
    elif kind == "name":
        chinese = "".join(_CJK.findall(text))
        text = _cut(chinese, 10) if chinese else _cut(text, 20)
    elif kind == "number":
        found = _NUMBER.search(text)
        text = _cut(found.group(), _LIMITS["number"]).rstrip(".") if found else ""
    elif kind in _KEEP:
        kept = "".join(_KEEP[kind].findall(text))
        text = _cut(kept, _LIMITS[kind])
    elif kind in _LIMITS:
        text = _cut(text, _LIMITS[kind])
    return text or _EMPTY.get(kind, "-")


def violation(kind: str, value: str) -> str | None:
    """Why WeChat would refuse ``value`` for type ``kind`` (None when it is valid)."""
    if not value:
        return "empty"
    if kind == "phrase":
        ok = length(value) <= 5 and _is_chinese(value)
        return None if ok else "a phrase is up to 5 Chinese characters"
    if kind == "name":
        ok = (_is_chinese(value) and length(value) <= 10) or (
            not _CJK.search(value) and length(value) <= 20
        )
        return None if ok else "a name is up to 10 Chinese characters or 20 letters"
    if kind in _VALID and not _VALID[kind].fullmatch(value):
        return f"not a valid {kind}"
    limit = _LIMITS.get(kind)
    if limit is not None and length(value) > limit:
        return f"longer than {limit} characters"
    return None
