"""WeChat Pay v2 wire format: flat XML documents signed with the merchant's API key.

The signature (签名算法): every non-empty field except ``sign``, sorted by name, joined as
``k=v&k=v``, then ``&key=API_KEY`` appended; MD5 or HMAC-SHA256 (keyed with the API key) of
that, upper-case hex. :func:`signature_ok` compares in constant time (``hmac.compare_digest``;
wechatpy compares with ``!=``).

:func:`parse_xml` takes only what WeChat sends: one ``<xml>`` root with text children. A DTD
or an entity declaration is refused before parsing (no XXE, no entity expansion).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping
from typing import Literal

__all__ = [
    "MAX_XML_BYTES",
    "SIGN_TYPES",
    "MalformedXml",
    "SignType",
    "nonce",
    "parse_xml",
    "reply",
    "sign",
    "signature_ok",
    "to_xml",
]

SignType = Literal["MD5", "HMAC-SHA256"]
SIGN_TYPES: tuple[SignType, ...] = ("MD5", "HMAC-SHA256")
MAX_XML_BYTES = 64 * 1024
_DECLARED_ENCODING = re.compile(rb"\s*(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*[\"']([^\"']*)")


class MalformedXml(ValueError):
    """Not a WeChat Pay XML document."""


def _signed_text(fields: Mapping[str, object], key: str) -> bytes:
    pairs = [
        f"{name}={value}"
        for name, value in sorted(fields.items())
        if name != "sign" and value is not None and value != ""
    ]
    pairs.append(f"key={key}")
    return "&".join(pairs).encode()


def sign(fields: Mapping[str, object], key: str, sign_type: SignType = "MD5") -> str:
    """The ``sign`` of ``fields`` with the merchant ``key``."""
    text = _signed_text(fields, key)
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode(), text, hashlib.sha256).hexdigest().upper()
    if sign_type == "MD5":
        return hashlib.md5(text).hexdigest().upper()  # noqa: S324 - WeChat Pay v2 defines it
    raise ValueError(f"unknown sign type {sign_type!r}")


def signature_ok(
    fields: Mapping[str, str],
    key: str,
    accepted: Collection[SignType] = SIGN_TYPES,
    default: SignType = "MD5",
) -> bool:
    """Whether ``fields['sign']`` is right, with the sign type the document names (``default``
    when it names none), which must be one of ``accepted``. Constant-time comparison."""
    given = fields.get("sign") or ""
    named = fields.get("sign_type") or default
    sign_type = next((t for t in SIGN_TYPES if t == named), None)
    if not given or sign_type is None or sign_type not in accepted:
        return False
    expected = sign(fields, key, sign_type)
    return hmac.compare_digest(given.encode(), expected.encode())


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The fields of a flat ``<xml>`` document; ``MalformedXml`` for anything else."""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_XML_BYTES:
        raise MalformedXml("document too large")
    # UTF-8 only (WeChat's): a NUL or another encoding could hide a DTD from the check below
    if b"\x00" in raw:
        raise MalformedXml("NUL characters are not accepted")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedXml("not UTF-8") from None
    declared = _DECLARED_ENCODING.match(raw)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise MalformedXml("only UTF-8 documents are accepted")
    if b"<!" in raw.replace(b"<![CDATA[", b""):
        raise MalformedXml("DTDs, entities and comments are not accepted")
    try:
        root = ET.fromstring(raw)  # noqa: S314 - no DTD can reach here (refused above)
    except ET.ParseError as exc:
        raise MalformedXml(f"not XML: {exc}") from None
    if root.tag != "xml":
        raise MalformedXml("the root element must be <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child) or child.attrib:
            raise MalformedXml(f"<{child.tag}> must hold text only")
        if child.tag in fields:
            raise MalformedXml(f"<{child.tag}> appears twice")
        fields[child.tag] = child.text or ""
    return fields


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def to_xml(fields: Mapping[str, object]) -> bytes:
    """A flat ``<xml>`` document; text in CDATA, whole numbers bare (as WeChat writes them)."""
    parts = ["<xml>"]
    for name, value in fields.items():
        if value is None:
            continue
        text = str(value)
        parts.append(f"<{name}>{text if text.isdigit() else _cdata(text)}</{name}>")
    parts.append("</xml>")
    return "".join(parts).encode()


def reply(ok: bool, message: str = "OK") -> bytes:
    """What a notification handler answers: exactly the document WeChat Pay expects."""
    code = "SUCCESS" if ok else "FAIL"
    return (
        f"<xml><return_code>{_cdata(code)}</return_code>"
        f"<return_msg>{_cdata(message)}</return_msg></xml>"
    ).encode()


def nonce() -> str:
    """A random ``nonce_str`` (32 characters)."""
    return secrets.token_hex(16)
