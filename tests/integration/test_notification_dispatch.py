"""The outbox dispatcher on real PostgreSQL, sending through the real wechatpy adapter to the
fake WeChat over HTTP: every message exactly once through outages, concurrent dispatchers,
refused subscriptions and expired tokens."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import pytest

from backend.db import _init_connection  # (the pool's json codecs, as the app's pools have)
from backend.notifications import Dispatcher, RetryPolicy, SharedAccessTokens, outbox
from backend.notifications.stuck import FAILED_NOTIFICATIONS, failed_notification_reasons
from integrations.wechat import (
    FakeRequest,
    FakeWeChat,
    WechatpyAccessTokenFetcher,
    WechatpySubscribeSender,
)
from integrations.wechat.errors import WeChatUnavailable
from integrations.wechat.subscribe import SubscribeMessage

ONE_TIME = "sandbox-tmpl-progress"
LONG_TERM = "sandbox-tmpl-appointment-reminder"
FAST = RetryPolicy(base_seconds=0.05, max_seconds=0.2, max_attempts=100, jitter=0)
SEND = "/cgi-bin/message/subscribe/send"


@pytest.fixture
def wechat() -> Iterator[FakeWeChat]:
    with FakeWeChat() as fake:
        yield fake


def token_store(pool: asyncpg.Pool, wechat: FakeWeChat) -> SharedAccessTokens:
    """What one process has: its own fetcher and cache, the table shared with the others."""
    fetcher = WechatpyAccessTokenFetcher(wechat.appid, wechat.secret, wechat.base_url, timeout=2)
    return SharedAccessTokens(pool, wechat.appid, fetcher.fetch)


def dispatcher(
    pool: asyncpg.Pool,
    wechat: FakeWeChat,
    *,
    state: Any = "formal",
    retry: RetryPolicy = FAST,
    batch_size: int = 10,
) -> Dispatcher:
    """A dispatcher as one process builds it (its own token cache and wechatpy client)."""
    sender = WechatpySubscribeSender(
        wechat.appid,
        wechat.secret,
        token_store(pool, wechat),
        wechat.base_url,
        timeout=2,
        miniprogram_state=state,
    )
    return Dispatcher(pool, sender, retry=retry, poll_seconds=0.05, batch_size=batch_size)


async def new_citizen(
    pool: asyncpg.Pool, name: str, quota: dict[str, int] | None = None
) -> uuid.UUID:
    citizen_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO citizens (id, openid) VALUES ($1, $2)", citizen_id, f"sandbox-{name}"
    )
    for template_id, remaining in (quota or {}).items():
        await pool.execute(
            "INSERT INTO notification_quota (citizen_id, template_id, remaining)"
            " VALUES ($1, $2, $3)",
            citizen_id,
            template_id,
            remaining,
        )
    return citizen_id


async def enqueue(
    pool: asyncpg.Pool,
    citizen_id: uuid.UUID,
    text: str,
    *,
    template_id: str = LONG_TERM,
    data: dict[str, str] | None = None,
) -> int:
    """An outbox row as the projection writes it (the dispatcher's input)."""
    row_id: int = await pool.fetchval(
        "INSERT INTO notification_outbox (originator_id, originator_version, position,"
        " event_type, event_at, application_id, citizen_id, template_id, long_term, data, page)"
        " VALUES ($1, 1, 0, 'Accepted', now(), $1, $2, $3, $4, $5, 'pages/index/index')"
        " RETURNING id",
        uuid.uuid4(),
        citizen_id,
        template_id,
        template_id == LONG_TERM,
        data or {"thing1": text, "phrase2": "已受理"},
    )
    return row_id


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``check`` until it holds; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if await check():
            return
        if loop.time() > deadline:
            raise AssertionError(f"not reached within {within} s")
        await asyncio.sleep(0.02)


async def statuses(pool: asyncpg.Pool) -> Counter[str]:
    return Counter(r["status"] for r in await pool.fetch("SELECT status FROM notification_outbox"))


async def row(pool: asyncpg.Pool, row_id: int) -> asyncpg.Record:
    found = await pool.fetchrow("SELECT * FROM notification_outbox WHERE id = $1", row_id)
    assert found is not None
    return found


def texts(wechat: FakeWeChat) -> Counter[str]:
    return Counter(str(m.data["thing1"]["value"]) for m in wechat.messages())  # type: ignore[index]


def sends(wechat: FakeWeChat) -> list[FakeRequest]:
    return [r for r in wechat.requests if r.path == SEND]


def token_fetches(wechat: FakeWeChat) -> int:
    return sum(1 for r in wechat.requests if r.path == "/cgi-bin/token")


async def test_messages_queued_while_wechat_is_down_go_out_once_each_after_it_recovers(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    citizen = await new_citizen(pool, "down")
    expected = [f"消息{i}" for i in range(12)]
    for text in expected:
        await enqueue(pool, citizen, text)
    wechat.set_down(True)

    async with dispatcher(pool, wechat).running():

        async def everyone_tried_twice() -> bool:
            return bool(await pool.fetchval("SELECT min(attempts) >= 2 FROM notification_outbox"))

        await eventually(everyone_tried_twice)
        assert wechat.messages() == []
        assert (await statuses(pool))["sent"] == 0
        wechat.set_down(False)

        async def all_sent() -> bool:
            return (await statuses(pool)) == Counter({"sent": len(expected)})

        await eventually(all_sent)

    assert texts(wechat) == Counter(expected)
    errors = await pool.fetch("SELECT last_error, sent_at FROM notification_outbox")
    assert all(r["last_error"] is None and r["sent_at"] is not None for r in errors)


# a backoff far longer than the bound the backlog must go out within: only the catch-up rule
# can meet it
SLOW = RetryPolicy(base_seconds=30, max_seconds=60, max_attempts=12, jitter=0, outage_seconds=0.3)


async def test_after_wechat_was_down_the_backlog_goes_out_within_seconds_each_once(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    """The backoff spares WeChat while it is away (here 30 s after a failure); once it answers
    again, every message that waited for it goes out within seconds, not at the end of its
    backoff, and each exactly once."""
    citizens = [await new_citizen(pool, f"back{i}") for i in range(4)]
    waited = [f"停机期间第{i}条" for i in range(16)]
    wechat.set_down(True)
    loop = asyncio.get_running_loop()

    async with dispatcher(pool, wechat, retry=SLOW).running():

        async def all_tried() -> bool:
            return bool(
                await pool.fetchval(
                    "SELECT count(*) = $1 AND min(attempts) >= 1 FROM notification_outbox"
                    " WHERE status = 'pending'",
                    len(listed),
                )
            )

        listed: list[str] = []
        for half in (waited[:8], waited[8:]):  # WeChat is away longer than the outage bound
            for i, text in enumerate(half):
                await enqueue(pool, citizens[i % 4], text)
            listed += half
            await eventually(all_tried)
            await asyncio.sleep(0.4)
        assert wechat.messages() == []
        waiting = await pool.fetchval(
            "SELECT min(next_attempt_at - now()) FROM notification_outbox WHERE status = 'pending'"
        )
        assert waiting.total_seconds() > 25  # each would wait out its backoff

        wechat.set_down(False)
        back = loop.time()
        await enqueue(pool, citizens[0], "恢复后的新消息")  # life goes on: a new event

        async def all_sent() -> bool:
            return (await statuses(pool)) == Counter({"sent": len(waited) + 1})

        await eventually(all_sent, within=10)
        caught_up = loop.time() - back

    assert caught_up < 5
    assert texts(wechat) == Counter([*waited, "恢复后的新消息"])  # each exactly once
    attempts = await pool.fetch("SELECT attempts FROM notification_outbox")
    assert sorted(r["attempts"] for r in attempts) == [1] + [2] * len(waited)


class _OneRowBroken:
    """WeChat answering everyone but one user, whose sends it fails with HTTP 5xx."""

    def __init__(self, sender: WechatpySubscribeSender, openid: str) -> None:
        self.sender = sender
        self.openid = openid

    async def send(self, message: SubscribeMessage) -> None:
        if message.openid == self.openid:
            raise WeChatUnavailable("WeChat answered HTTP 500")
        await self.sender.send(message)


async def test_a_message_failing_on_its_own_while_wechat_answers_others_keeps_its_backoff(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    """Only an outage (WeChat unreachable for a while, then answering) makes waiting rows due
    at once: a row that fails while the sends around it succeed waits out its backoff, and is
    not tried again at every other message's success."""
    broken = await new_citizen(pool, "broken")
    fine = await new_citizen(pool, "fine")
    retry = RetryPolicy(base_seconds=30, max_attempts=12, jitter=0, outage_seconds=1.0)
    real = dispatcher(pool, wechat, retry=retry)
    assert isinstance(real.sender, WechatpySubscribeSender)
    sender = Dispatcher(
        pool, _OneRowBroken(real.sender, "sandbox-broken"), retry=retry, poll_seconds=0.05
    )
    row_id = await enqueue(pool, broken, "总是失败")
    await sender.drain()
    assert (await row(pool, row_id))["attempts"] == 1

    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = 0
    while loop.time() - started < 2.0:  # successes spread past the outage bound (1 s)
        await enqueue(pool, fine, f"正常{sent}")
        await sender.drain()
        sent += 1
        await asyncio.sleep(0.1)

    assert len(wechat.messages()) == sent
    failing = await row(pool, row_id)
    assert failing["status"] == "pending"
    assert failing["attempts"] == 1  # not tried again
    left = await pool.fetchval(
        "SELECT next_attempt_at - now() FROM notification_outbox WHERE id = $1", row_id
    )
    assert left.total_seconds() > 25


async def test_two_dispatchers_over_one_outbox_send_every_message_exactly_once(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    wechat.set_latency(0.01)  # widen the window in which both dispatchers are at work
    citizens = [await new_citizen(pool, f"c{i}") for i in range(10)]
    expected = [f"给{i % 10}号的第{i}条" for i in range(80)]
    for i, text in enumerate(expected):
        await enqueue(pool, citizens[i % 10], text)
    first = dispatcher(pool, wechat, state="developer", batch_size=5)
    second = dispatcher(pool, wechat, state="trial", batch_size=5)

    async with first.running(), second.running():

        async def all_sent() -> bool:
            return (await statuses(pool)) == Counter({"sent": len(expected)})

        await eventually(all_sent, within=20)

    assert texts(wechat) == Counter(expected)  # each exactly once
    assert len(sends(wechat)) == len(expected)  # and not even attempted twice
    # both did part of the work (each process tags its messages with its own state) ...
    assert {m.miniprogram_state for m in wechat.messages()} == {"developer", "trial"}
    # ... with one access token between them
    assert token_fetches(wechat) == 1


async def test_a_refused_subscription_is_not_retried_and_the_row_is_skipped(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    citizen = await new_citizen(pool, "refuses", {ONE_TIME: 2})
    row_id = await enqueue(pool, citizen, "您的申请已受理", template_id=ONE_TIME)
    wechat.refuse_messages("sandbox-refuses")
    sender = dispatcher(pool, wechat)

    await sender.drain()
    await sender.drain()

    skipped = await row(pool, row_id)
    assert skipped["status"] == "skipped"
    assert skipped["attempts"] == 1
    assert skipped["last_error"].startswith("43101")
    assert len(sends(wechat)) == 1
    assert wechat.messages() == []
    # WeChat says there is no subscription: our count follows it
    left = await pool.fetchval(
        "SELECT remaining FROM notification_quota WHERE citizen_id = $1", citizen
    )
    assert left == 0


async def test_without_local_quota_a_message_is_skipped_without_calling_wechat(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    citizen = await new_citizen(pool, "quota", {ONE_TIME: 1})
    first = await enqueue(pool, citizen, "第一条", template_id=ONE_TIME)
    second = await enqueue(pool, citizen, "第二条", template_id=ONE_TIME)
    long_term = await enqueue(pool, citizen, "长期订阅", template_id=LONG_TERM)

    await dispatcher(pool, wechat).drain()

    assert [(await row(pool, i))["status"] for i in (first, second, long_term)] == [
        "sent",
        "skipped",
        "sent",
    ]
    assert (await row(pool, second))["attempts"] == 0
    assert "quota" in (await row(pool, second))["last_error"]
    assert texts(wechat) == Counter({"第一条": 1, "长期订阅": 1})
    assert len(sends(wechat)) == 2


async def test_an_expired_token_is_refreshed_once_and_the_message_sent_once(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    citizen = await new_citizen(pool, "token")
    sender = dispatcher(pool, wechat)
    await enqueue(pool, citizen, "之前")
    await sender.drain()
    assert token_fetches(wechat) == 1

    wechat.expire_access_tokens()
    row_id = await enqueue(pool, citizen, "之后")
    await sender.drain()

    sent = await row(pool, row_id)
    assert sent["status"] == "sent"
    assert sent["attempts"] == 1  # refreshed and sent within one attempt
    assert token_fetches(wechat) == 2
    assert texts(wechat) == Counter({"之前": 1, "之后": 1})
    # the refused call plus the retry
    assert [r.path for r in wechat.requests[-3:]] == [SEND, "/cgi-bin/token", SEND]


async def test_a_token_about_to_expire_is_refreshed_by_one_process_for_all(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    first = await token_store(pool, wechat).current()
    await pool.execute("UPDATE wechat_access_tokens SET expires_at = now() + interval '4 minutes'")

    processes = [token_store(pool, wechat) for _ in range(4)]
    tokens = await asyncio.gather(*(p.current() for p in processes))

    assert len(set(tokens)) == 1
    assert tokens[0] != first
    assert token_fetches(wechat) == 2
    assert wechat.is_valid_access_token(tokens[0])


async def test_a_value_wechat_refuses_fails_at_once_and_is_findable_for_supervisors(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    citizen = await new_citizen(pool, "baddata")
    row_id = await enqueue(pool, citizen, "x", data={"thing1": "超" * 21})  # not fitted

    await dispatcher(pool, wechat).drain()

    failed = await row(pool, row_id)
    assert failed["status"] == "failed"
    assert failed["attempts"] == 1
    assert failed["last_error"].startswith("47003")
    found = await pool.fetch(FAILED_NOTIFICATIONS)
    assert [r["application_id"] for r in found] == [failed["application_id"]]
    reasons = await failed_notification_reasons(pool)
    assert [code for code, _, _ in reasons[failed["application_id"]]] == ["notification_failed"]


async def test_a_message_that_keeps_failing_is_given_up_and_its_quota_given_back(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    citizen = await new_citizen(pool, "gaveup", {ONE_TIME: 1})
    row_id = await enqueue(pool, citizen, "发不出去", template_id=ONE_TIME)
    wechat.set_down(True)
    sender = dispatcher(pool, wechat, retry=RetryPolicy(base_seconds=0.01, max_attempts=3))

    async def given_up() -> bool:
        await sender.drain()
        return (await row(pool, row_id))["status"] == "failed"

    await eventually(given_up)

    failed = await row(pool, row_id)
    assert failed["attempts"] == 3
    assert "gave up after 3 attempts" in failed["last_error"]
    left = await pool.fetchval(
        "SELECT remaining FROM notification_quota WHERE citizen_id = $1", citizen
    )
    assert left == 1  # WeChat delivered nothing: the citizen keeps the subscription


async def test_a_claim_whose_dispatcher_died_is_sent_by_another_after_the_lease(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    citizen = await new_citizen(pool, "lease", {ONE_TIME: 1})
    row_id = await enqueue(pool, citizen, "接手", template_id=ONE_TIME)
    # a dispatcher claims the row and dies before sending
    claimed, _ = await outbox.claim(
        pool, limit=10, lease_seconds=0.3, stale_after_seconds=3600, max_attempts=10
    )
    assert [c.id for c in claimed] == [row_id]
    survivor = dispatcher(pool, wechat)

    assert await survivor.drain() == 0  # leased: not due yet
    assert wechat.messages() == []

    async def taken_over() -> bool:
        await survivor.drain()
        return (await row(pool, row_id))["status"] == "sent"

    await eventually(taken_over)
    assert texts(wechat) == Counter({"接手": 1})
    assert (await row(pool, row_id))["attempts"] == 2
    # the quota reserved by the first claim was used, not reserved twice
    left = await pool.fetchval(
        "SELECT remaining FROM notification_quota WHERE citizen_id = $1", citizen
    )
    assert left == 0
    # the dead dispatcher's late outcome no longer counts
    assert not await outbox.record_failed(pool, claimed[0], "too late")
    assert (await row(pool, row_id))["status"] == "sent"


async def test_an_old_event_is_not_news_any_more(pool: asyncpg.Pool, wechat: FakeWeChat) -> None:
    citizen = await new_citizen(pool, "old")
    row_id = await enqueue(pool, citizen, "三天前的事")
    await pool.execute("UPDATE notification_outbox SET event_at = now() - interval '3 days'")

    await dispatcher(pool, wechat).drain()

    assert (await row(pool, row_id))["status"] == "skipped"
    assert sends(wechat) == []


async def test_a_dispatcher_waits_out_the_database_going_away_and_sends_afterwards(
    pool: asyncpg.Pool, db_url: str, wechat: FakeWeChat
) -> None:
    """At the instant PostgreSQL stops, a statement on its way fails with asyncpg's
    InternalClientError ("cannot switch to state ..."), and while it starts again connecting
    is refused (57P03): the dispatcher waits and goes on. (It used to end there: a worker
    alive, its messages never sent.)"""
    failures: list[Exception] = [
        asyncpg.InternalClientError("cannot switch to state 15; another operation is in progress"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
    ]

    async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
        if failures:
            raise failures.pop(0)
        return await asyncpg.connect(*args, **kwargs)

    going_away = await asyncpg.create_pool(
        db_url, min_size=0, max_size=4, connect=connect, init=_init_connection
    )
    citizen = await new_citizen(pool, "outage")
    await enqueue(pool, citizen, "数据库恢复后")
    own = dispatcher(pool, wechat)
    sender = Dispatcher(going_away, own.sender, retry=FAST, poll_seconds=0.05)
    try:
        async with sender.running():

            async def sent() -> bool:
                return (await statuses(pool)) == Counter({"sent": 1})

            await eventually(sent)
            assert failures == []  # it did meet both
    finally:
        await going_away.close()
    assert texts(wechat) == Counter({"数据库恢复后": 1})


async def test_a_message_accepted_just_before_the_database_went_away_is_not_sent_again(
    pool: asyncpg.Pool, db_url: str, wechat: FakeWeChat
) -> None:
    """WeChat accepted the message, then PostgreSQL was briefly away when the dispatcher came
    to record it: the outcome is recorded once the database is back (within the lease), not
    left ``sending`` to be sent again when the lease runs out. (Seen in a ten-minute soak:
    seven messages of a batch sent twice after the PostgreSQL stop.)"""
    refusals = 0

    async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
        nonlocal refusals
        if refusals > 0:
            refusals -= 1
            raise asyncpg.CannotConnectNowError("the database system is shutting down")
        return await asyncpg.connect(*args, **kwargs)

    going_away = await asyncpg.create_pool(
        db_url, min_size=0, max_size=4, connect=connect, init=_init_connection
    )
    real = dispatcher(pool, wechat)

    class ThenTheDatabaseGoes:
        async def send(self, message: SubscribeMessage) -> None:
            nonlocal refusals
            await real.sender.send(message)  # accepted by WeChat ...
            refusals = 3  # ... and then the database is away for a moment
            await going_away.expire_connections()

    citizen = await new_citizen(pool, "record")
    row_id = await enqueue(pool, citizen, "只发一次")
    sender = Dispatcher(
        going_away, ThenTheDatabaseGoes(), retry=FAST, poll_seconds=0.05, lease_seconds=3.0
    )
    try:
        async with sender.running():

            async def recorded() -> bool:
                return (await row(pool, row_id))["status"] == "sent"

            await eventually(recorded)
            await asyncio.sleep(3.5)  # past the lease: nothing is sent again
    finally:
        await going_away.close()

    assert refusals == 0  # the database did refuse the recording at first
    assert texts(wechat) == Counter({"只发一次": 1})
    assert (await row(pool, row_id))["attempts"] == 1


async def test_nothing_is_due_in_an_empty_or_settled_outbox_so_the_dispatcher_sleeps(
    pool: asyncpg.Pool, wechat: FakeWeChat
) -> None:
    # "nothing waits" (None), not "due now" (0): the dispatcher polled 20 times a second
    assert await outbox.next_due_in(pool) is None
    citizen = await new_citizen(pool, "due", {ONE_TIME: 1})
    await enqueue(pool, citizen, "您的申请已受理", template_id=ONE_TIME)
    assert await outbox.next_due_in(pool) == 0.0

    await dispatcher(pool, wechat).drain()

    assert len(wechat.messages()) == 1
    assert await outbox.next_due_in(pool) is None
