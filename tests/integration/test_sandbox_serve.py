"""``onewindow serve --port P`` in sandbox mode: the fakes call the app back on P, not on 8000."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from backend.settings import Settings
from backend.settings.payments import PaymentSettings
from bench.journeys import png
from bench.processes import free_port, onewindow_env, start, stop, wait_healthy
from tests.e2e.conftest import DEMO_PASSWORD

SECRET = "sandbox-serve-test-secret-key-of-enough-length"
ID_CARD = "GG-00201-000"  # 居民身份证换领: police, one stage; fee 2000 fen


def _settings(tmp_path: Path, **more: Any) -> Settings:
    return Settings(data_dir=tmp_path, database_url="postgresql://x/y", secret_key=SECRET, **more)


def test_in_the_sandbox_the_notify_and_push_urls_follow_the_served_port(tmp_path: Path) -> None:
    served = _settings(tmp_path).served_at("127.0.0.1", 8123)
    assert served.payment.pay_notify_url == "http://127.0.0.1:8123/webhooks/wechat/pay"
    assert served.payment.refund_url == "http://127.0.0.1:8123/webhooks/wechat/refund"
    assert served.courier.push_url == "http://127.0.0.1:8123/webhooks/courier/sf"
    # a wildcard address is reached on loopback
    wild = _settings(tmp_path).served_at("0.0.0.0", 9000)  # noqa: S104
    assert wild.payment.pay_notify_url == "http://127.0.0.1:9000/webhooks/wechat/pay"


def test_a_configured_public_base_url_wins_over_the_served_port(tmp_path: Path) -> None:
    configured = _settings(
        tmp_path, payment=PaymentSettings(public_base_url="https://gov.example/")
    ).served_at("127.0.0.1", 8123)
    assert configured.payment.pay_notify_url == "https://gov.example/webhooks/wechat/pay"
    assert configured.courier.push_url == "https://gov.example/webhooks/courier/sf"


def test_outside_the_sandbox_the_served_port_changes_nothing(tmp_path: Path) -> None:
    real = _settings(tmp_path, wechat_appid="wx0123456789abcdef", wechat_secret="s")
    assert real.served_at("127.0.0.1", 8123) is real
    assert real.payment.pay_notify_url == "http://127.0.0.1:8000/webhooks/wechat/pay"


def test_worker_processes_of_serve_read_the_served_address_from_the_environment(
    tmp_path: Path,
) -> None:
    env = {"ONEWINDOW_DATA_DIR": str(tmp_path), "ONEWINDOW_SECRET_KEY": SECRET}
    settings = Settings.from_env({**env, "ONEWINDOW_SERVED_AT": "127.0.0.1:8124"})
    assert settings.payment.pay_notify_url == "http://127.0.0.1:8124/webhooks/wechat/pay"
    assert Settings.from_env(env).payment.public_base_url is None


async def _post(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], **kw: Any
) -> dict[str, Any]:
    response = await http.post(path, headers=headers, **kw)
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_sandbox_payment_on_another_port_reaches_the_app_without_reconciliation(
    db_url: str, tmp_path: Path
) -> None:
    port = free_port()
    # the reconciler would recover a lost notification: keep it out of the way
    env = onewindow_env(
        db_url,
        tmp_path,
        SECRET,
        ONEWINDOW_PAYMENT_JOB_INTERVAL_SECONDS="3600",
        ONEWINDOW_PAYMENT_RECONCILE_AFTER_SECONDS="3600",
    )
    server = start("serve", "--demo", "--port", str(port), env=env)
    try:
        await asyncio.to_thread(wait_healthy, port, server)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            login = await _post(http, "/api/v1/auth/wechat-login", {}, json={"code": "sandbox-p"})
            citizen = {"Authorization": f"Bearer {login['token']}"}
            staff: dict[str, dict[str, str]] = {}
            for username in ("police-clerk", "police-reviewer"):
                body = {"username": username, "password": DEMO_PASSWORD}
                token = (await _post(http, "/api/v1/auth/staff-login", {}, json=body))["token"]
                staff[username] = {"Authorization": f"Bearer {token}"}
            scans = []
            for _ in range(2):
                files = {"file": ("scan.png", png(len(scans)), "image/png")}
                scans.append((await _post(http, "/api/v1/files", citizen, files=files))["fileId"])
            application = {
                "serviceCode": ID_CARD,
                "situationId": "expired",
                "form": {},
                "materials": [
                    {"materialId": "id-card", "fileId": scans[0]},
                    {"materialId": "household-register", "fileId": scans[1]},
                ],
                "delivery": {"method": "pickup"},
            }
            app_id = (await _post(http, "/api/v1/applications", citizen, json=application))["id"]
            admin = f"/api/v1/admin/applications/{app_id}"
            await _post(http, f"{admin}/accept", staff["police-clerk"])
            review = {"decision": "approve", "opinion": "同意"}
            await _post(http, f"{admin}/review", staff["police-reviewer"], json=review)
            order = await _post(http, f"/api/v1/applications/{app_id}/payment", citizen)

            paid = await _post(http, f"/api/v1/sandbox/pay/{order['outTradeNo']}", citizen)
            assert paid["notified"], "the fake's notification must reach this server's port"
            progress = await http.get(
                f"/api/v1/applications/{app_id}?after={paid['position']}", headers=citizen
            )
            assert progress.json()["payment"]["status"] == "paid", progress.text
    finally:
        await asyncio.to_thread(stop, server)
