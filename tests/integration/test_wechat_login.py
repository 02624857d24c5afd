"""The real wechatpy adapter against the fake WeChat server (no mocks)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import msgspec
import pytest

from integrations.wechat import (
    FakeRequest,
    FakeResponse,
    FakeWeChat,
    InvalidLoginCode,
    WeChatError,
    WechatpyLogin,
    WeChatSession,
    WeChatUnavailable,
)


@pytest.fixture
def wechat() -> Iterator[FakeWeChat]:
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture
def login(wechat: FakeWeChat) -> WechatpyLogin:
    return WechatpyLogin(wechat.appid, wechat.secret, api_base_url=wechat.base_url, timeout=2)


async def test_sandbox_code_gives_its_openid(login: WechatpyLogin) -> None:
    session = await login.code_to_session("sandbox-alice_01")

    assert session == WeChatSession(openid="sandbox-alice_01", unionid=None)


async def test_sandbox_code_can_be_used_again(login: WechatpyLogin) -> None:
    first = await login.code_to_session("sandbox-bob")
    second = await login.code_to_session("sandbox-bob")

    assert first == second == WeChatSession(openid="sandbox-bob")


async def test_unionid_is_passed_on_when_wechat_sends_one(
    wechat: FakeWeChat, login: WechatpyLogin
) -> None:
    wechat.set_unionid("sandbox-carol", "union-carol")

    session = await login.code_to_session("sandbox-carol")

    assert session.unionid == "union-carol"


@pytest.mark.parametrize(
    "code", ["not-a-sandbox-code", "sandbox-", "sandbox-a b", "sandbox-" + "x" * 65]
)
async def test_invalid_code_is_refused_with_wechat_error_40029(
    login: WechatpyLogin, code: str
) -> None:
    with pytest.raises(InvalidLoginCode) as refused:
        await login.code_to_session(code)

    assert refused.value.errcode == 40029
    assert refused.value.errmsg == "invalid code"


@pytest.mark.parametrize(
    ("errcode", "errmsg"), [(40163, "code been used"), (40226, "high risk user")]
)
async def test_used_or_risky_code_is_an_invalid_login_code(
    wechat: FakeWeChat, login: WechatpyLogin, errcode: int, errmsg: str
) -> None:
    wechat.add_route(
        "GET",
        "/sns/jscode2session",
        lambda _: FakeResponse({"errcode": errcode, "errmsg": errmsg}),
    )

    with pytest.raises(InvalidLoginCode) as refused:
        await login.code_to_session("sandbox-dave")

    assert refused.value.errcode == errcode


async def test_wrong_secret_is_refused(wechat: FakeWeChat) -> None:
    login = WechatpyLogin(wechat.appid, "not-the-secret", api_base_url=wechat.base_url)

    with pytest.raises(WeChatError) as refused:
        await login.code_to_session("sandbox-alice")

    assert refused.value.errcode == 40125
    assert not isinstance(refused.value, InvalidLoginCode)


async def test_wrong_appid_is_refused(wechat: FakeWeChat) -> None:
    login = WechatpyLogin("wx-someone-else", wechat.secret, api_base_url=wechat.base_url)

    with pytest.raises(WeChatError) as refused:
        await login.code_to_session("sandbox-alice")

    assert refused.value.errcode == 40013


async def test_session_key_is_never_exposed(wechat: FakeWeChat, login: WechatpyLogin) -> None:
    session = await login.code_to_session("sandbox-alice")

    sent = [r for r in wechat.requests if r.path == "/sns/jscode2session"]
    assert sent, "the fake must have answered with a session_key"
    assert not hasattr(session, "session_key")
    assert set(msgspec.structs.asdict(session)) == {"openid", "unionid"}
    assert b"session_key" not in msgspec.json.encode(session)


async def test_wechat_down_raises_unavailable(wechat: FakeWeChat, login: WechatpyLogin) -> None:
    wechat.set_down(True)

    with pytest.raises(WeChatUnavailable):
        await login.code_to_session("sandbox-alice")

    wechat.set_down(False)
    assert await login.code_to_session("sandbox-alice") == WeChatSession(openid="sandbox-alice")


async def test_wechat_system_busy_raises_unavailable(
    wechat: FakeWeChat, login: WechatpyLogin
) -> None:
    wechat.add_route(
        "GET",
        "/sns/jscode2session",
        lambda _: FakeResponse({"errcode": -1, "errmsg": "system error"}),
    )

    with pytest.raises(WeChatUnavailable):
        await login.code_to_session("sandbox-alice")


async def test_unreachable_wechat_raises_unavailable() -> None:
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    login = WechatpyLogin("wx-sandbox-app", "sandbox-secret", f"http://127.0.0.1:{port}/")

    with pytest.raises(WeChatUnavailable):
        await login.code_to_session("sandbox-alice")


async def test_fake_received_the_jscode2session_request(
    wechat: FakeWeChat, login: WechatpyLogin
) -> None:
    await login.code_to_session("sandbox-erin")

    exchanges = [r for r in wechat.requests if r.path == "/sns/jscode2session"]
    assert [_login_params(r) for r in exchanges] == [
        {
            "appid": wechat.appid,
            "secret": wechat.secret,
            "js_code": "sandbox-erin",
            "grant_type": "authorization_code",
        }
    ]
    # wechatpy fetches an access token first; that call must hit the fake too.
    assert [r.path for r in wechat.requests] == ["/cgi-bin/token", "/sns/jscode2session"]


def _login_params(request: FakeRequest) -> dict[str, str]:
    return {k: v for k, v in request.query.items() if k != "access_token"}
