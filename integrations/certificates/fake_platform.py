"""A local stand-in for the e-certificate platform that speaks its wire format (``platform``).

Used by tests and the sandbox: point :class:`HttpCertificatePlatform` at :attr:`url`. It checks
every request's app id and signature (401 otherwise), answers by holder and type, and signs its
answers with the shared key. Tests tell it to revoke a certificate, go down (503), be slow, or
send a forged answer (signed with another key) or a replayed one (the previous answer again,
bytes and headers). With ``seed_any_holder`` (the sandbox) a holder it has never heard of gets
a 居民身份证 and a 营业执照 on first query, so a newcomer's journey finds something.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import msgspec

from integrations.certificates.base import PlatformCertificate
from integrations.certificates.pdf import certificate_pdf
from integrations.certificates.platform import APP_ID, QUERY, VERIFY
from integrations.certificates.signing import BadSignature, NonceCache, signed_headers
from integrations.loopback import LoopbackServer

__all__ = ["ID_CARD", "LICENCE", "FakeCertificatePlatform"]

ID_CARD = "11100000000013338W001"  # 居民身份证 (illustrative codes, see domain/certificates)
LICENCE = "11100000MB0143129D001"  # 营业执照
Answer = tuple[int, bytes, dict[str, str]]


class FakeCertificatePlatform(LoopbackServer):
    """Fake e-certificate platform on a local port, run in a daemon thread."""

    _thread_name = "fake-certificate-platform"

    def __init__(
        self,
        app_id: str = "onewindow-sandbox",
        key: bytes = b"sandbox-certificate-platform-key",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed_any_holder: bool = False,
    ) -> None:
        self.app_id = app_id
        self.key = key
        self.seed_any_holder = seed_any_holder
        self._init_loopback(host, port)
        self._lock = threading.Lock()
        self._requests = NonceCache(key)
        self._certificates: dict[str, PlatformCertificate] = {}  # by number
        self._seeded: set[str] = set()
        self._down = False
        self._latency = 0.0
        self._forge_next = False
        self._replay_next = False
        self._last: Answer | None = None
        self.calls: list[str] = []  # paths asked, oldest first

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_class(self)

    @property
    def url(self) -> str:
        """The platform's base URL."""
        return self._origin()

    # -- control ---------------------------------------------------------------------------

    def add(self, certificate: PlatformCertificate) -> PlatformCertificate:
        """Hold a certificate (a PDF of it is made when it has none)."""
        if certificate.file is None:
            pdf = certificate_pdf(
                certificate.type_name,
                [("证照编号", certificate.number), ("发证机关", certificate.issuer)],
            )
            certificate = msgspec.structs.replace(
                certificate, file=pdf, sha256=hashlib.sha256(pdf).hexdigest()
            )
        with self._lock:
            self._certificates[certificate.number] = certificate
        return certificate

    def revoke(self, number: str, reason: str = "发证机关已注销") -> None:
        """The issuing authority revoked the certificate numbered ``number``."""
        with self._lock:
            held = self._certificates[number]
            self._certificates[number] = msgspec.structs.replace(
                held, status="revoked", status_reason=reason
            )

    def set_down(self, down: bool) -> None:
        """While down, every call answers HTTP 503."""
        with self._lock:
            self._down = down

    def set_latency(self, seconds: float) -> None:
        """Answer every call this much later."""
        with self._lock:
            self._latency = seconds

    def forge_next_answer(self) -> None:
        """The next answer is signed with another key (as a man in the middle would)."""
        with self._lock:
            self._forge_next = True

    def replay_next_answer(self) -> None:
        """The next answer is the previous one again, byte for byte (a replay)."""
        with self._lock:
            self._replay_next = True

    # -- the platform ----------------------------------------------------------------------

    def dispatch(self, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """Answer one call: (HTTP status, body, headers)."""
        with self._lock:
            self.calls.append(path)
            down, latency = self._down, self._latency
        if latency:
            time.sleep(latency)  # this request's own server thread
        if down:
            return 503, b'{"code": "503", "message": "service unavailable"}', {}
        if {k.lower(): v for k, v in headers.items()}.get(APP_ID.lower()) != self.app_id:
            return 401, b'{"code": "401", "message": "unknown app"}', {}
        try:
            nonce = self._requests.check(headers, body)
            payload = json.loads(body)
        except (BadSignature, ValueError) as exc:
            return 401, json.dumps({"code": "401", "message": str(exc)}).encode(), {}
        return self._answer(nonce, *self._service(path, payload))

    def _service(self, path: str, payload: Any) -> tuple[str, str, Any]:
        """(code, message, data) of one signed call."""
        if not isinstance(payload, dict):
            return "400", "expected a JSON object", None
        if path == QUERY:
            holder, type_code = str(payload.get("holderIdNumber")), str(payload.get("typeCode"))
            found = [msgspec.to_builtins(c) for c in self._query(holder, type_code)]
            return "0", "ok", {"certificates": found}
        if path == VERIFY:
            return "0", "ok", self._verify(str(payload.get("number")))
        return "404", f"no service {path}", None

    def _query(self, holder: str, type_code: str) -> list[PlatformCertificate]:
        if self.seed_any_holder:
            self._seed(holder)
        with self._lock:
            return [
                c
                for c in self._certificates.values()
                if c.holder_id_number == holder and c.type_code == type_code
            ]

    def _verify(self, number: str) -> dict[str, Any]:
        with self._lock:
            held = self._certificates.get(number)
        checked = datetime.now(UTC).isoformat()
        if held is None:
            return {"number": number, "status": "unknown", "checkedAt": checked}
        status = held.status
        if status == "valid" and held.valid_until and held.valid_until < date.today().isoformat():
            status = "expired"
        return {
            "number": number,
            "status": status,
            "statusReason": held.status_reason,
            "checkedAt": checked,
        }

    def _seed(self, holder: str) -> None:
        with self._lock:
            if holder in self._seeded:
                return
            self._seeded.add(holder)
        today = date.today().isoformat()
        self.add(
            PlatformCertificate(
                number=holder,
                type_code=ID_CARD,
                type_name="居民身份证",
                holder_name="沙箱居民",
                holder_id_number=holder,
                issuer="市公安局",
                issuer_code="11310100002420000X",
                issued_on=today,
                valid_from=today,
                valid_until=date.today().replace(year=date.today().year + 20).isoformat(),
            )
        )
        self.add(
            PlatformCertificate(
                number=f"91310000{holder[-10:]}",
                type_code=LICENCE,
                type_name="营业执照",
                holder_name="沙箱居民",
                holder_id_number=holder,
                issuer="市市场监督管理局",
                issuer_code="11310100MB2F45021K",
                issued_on=today,
                valid_from=today,
            )
        )

    def _answer(self, nonce: str, code: str, message: str, data: Any) -> Answer:
        with self._lock:
            forge, replay, last = self._forge_next, self._replay_next, self._last
            self._forge_next = self._replay_next = False
        if replay and last is not None:
            return last
        body = json.dumps(
            {"code": code, "message": message, "requestNonce": nonce, "data": data},
            ensure_ascii=False,
        ).encode()
        key = b"not-the-platform-key" if forge else self.key
        answer = (200, body, signed_headers(key, body, time.time()))
        with self._lock:
            self._last = answer
        return answer


def _handler_class(fake: FakeCertificatePlatform) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = dict(self.headers.items())
            status, body, extra = fake.dispatch(urlsplit(self.path).path, headers, raw)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout): as the platform would see it

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request log lines on stderr."""

    return _Handler
