"""The soak's load: each kind of operation started at a fixed rate (open loop: a slow answer
never slows the arrivals), every request timed and kept, every acknowledged write remembered
so that the end can check it is in the event store and the read models."""

from __future__ import annotations

import asyncio
import collections
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.journeys import Api, Unexpected
from bench.soak.records import Ack, Call, Case
from domain.calendar import CST
from integrations.courier import FakeSf
from integrations.wechat.fake_pay import FakeWeChatPay

__all__ = ["Load"]

_CAP = 64  # operations of one kind under way at once; more are counted as skipped
_NEXT = {"submitted": "accept", "accepted": "review", "under_review": "review"}
_COURIER = {"booked": "picked_up", "picked_up": "in_transit", "in_transit": "out_for_delivery"}
_COURIER["out_for_delivery"] = "delivered"


@dataclass
class Load:
    """The operations and what they saw."""

    api: Api
    pay: FakeWeChatPay
    sf: FakeSf
    started: float = field(default_factory=time.monotonic)
    calls: list[Call] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unavailable: collections.Counter[str] = field(default_factory=collections.Counter)
    skipped: collections.Counter[str] = field(default_factory=collections.Counter)
    done: collections.Counter[str] = field(default_factory=collections.Counter)
    citizens: list[dict[str, str]] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    waiting: collections.deque[Case] = field(default_factory=collections.deque)
    paid: list[Case] = field(default_factory=list)
    booked: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)  # delivery ids
    in_flight: collections.Counter[str] = field(default_factory=collections.Counter)
    templates: list[str] = field(default_factory=list)
    # applications a write went unanswered on: the store may hold more than was acknowledged
    uncertain: set[str] = field(default_factory=set)
    chains: set[str] = field(default_factory=set)  # applications others move on (pay, courier)
    _fresh: list[dict[str, str]] = field(default_factory=list)  # citizens who have not booked
    _stage: dict[str, str] = field(default_factory=dict)  # delivery -> the last scan we made
    _moving: set[str] = field(default_factory=set)  # deliveries being scanned now

    def now(self) -> float:
        return time.monotonic() - self.started

    def on_call(self, kind: str, seconds: float, response: httpx.Response) -> None:
        code = None
        if response.status_code >= 500:
            try:
                code = response.json().get("code")
            except ValueError:
                code = None
        self.calls.append(
            Call(
                kind,
                self.now() - seconds,
                seconds,
                response.status_code,
                code,
                "retry-after" in response.headers,
            )
        )

    def ack(self, kind: str, aggregate_id: str, answer: dict[str, Any]) -> None:
        self.acks.append(
            Ack(kind, aggregate_id, int(answer["position"]), str(answer["status"]), self.now())
        )

    # --- the operations ---------------------------------------------------------------------

    async def login(self) -> None:
        citizen = await self.api.citizen()
        if not self.templates:
            listed = await self.api.call("login", "GET", "/api/v1/notification-templates")
            self.templates = [t["templateId"] for t in listed if not t["longTerm"]][:20]
        await self.api.call(
            "subscribe",
            "POST",
            "/api/v1/me/subscriptions",
            json={"accepted": self.templates},
            headers=citizen,
        )
        self.citizens.append(citizen)
        self._fresh.append(citizen)

    def _citizen(self) -> dict[str, str] | None:
        return random.choice(self.citizens) if self.citizens else None  # noqa: S311

    async def submit(self) -> None:
        citizen = self._citizen()
        if citizen is None:
            self.skipped["submit"] += 1
            return
        form = {"name": "王小明", "phone": "13800138000", "idNumber": "110101199003078515"}
        answer = await self.api.submit_unemployment(citizen, form)
        self.ack("submit", answer["id"], answer)
        case = Case(answer["id"], citizen, answer["status"], answer["position"])
        self.cases.append(case)
        self.waiting.append(case)

    async def staff(self) -> None:
        if not self.waiting:
            self.skipped["staff"] += 1
            return
        case = self.waiting.popleft()
        resynced = case.uncertain
        try:
            if case.uncertain:  # what did the unanswered write do?
                read = await self.api.progress(case.citizen, case.app_id, case.position)
                case.status, case.uncertain = read["status"], False
            answer = await self._next_step(case)
        except Unexpected as exc:
            case.uncertain = True
            self.uncertain.add(case.app_id)
            self.waiting.append(case)
            if exc.status == 409 and resynced:
                return  # the read model had not caught up with the unanswered write: again
            raise
        except httpx.HTTPError:
            case.uncertain = True
            self.uncertain.add(case.app_id)
            self.waiting.append(case)
            raise
        if answer is None:
            return  # done: ready for pickup
        self.uncertain.discard(case.app_id)  # its last write was answered
        self.ack("staff", case.app_id, answer)
        case.status, case.position = answer["status"], answer["position"]
        self.waiting.append(case)

    async def _next_step(self, case: Case) -> dict[str, Any] | None:
        """The clerk's or reviewer's next action on a 失业保险金申领 (None: nothing left)."""
        action = _NEXT.get(case.status)
        if action == "accept":
            return await self.api.act("hrss-clerk", case.app_id, "accept")
        if action == "review":
            body = {"decision": "approve", "opinion": "同意"}
            return await self.api.act("hrss-reviewer", case.app_id, "review", body)
        if case.status == "approved":
            return await self.api.act(
                "hrss-clerk", case.app_id, "issue-result", {"documentNo": "SY1"}
            )
        return None

    async def progress(self) -> None:
        if not self.cases:
            self.skipped["progress"] += 1
            return
        case = random.choice(self.cases)  # noqa: S311
        await self.api.progress(case.citizen, case.app_id, case.position)

    async def pay_fee(self) -> None:
        citizen = self._citizen()
        if citizen is None:
            self.skipped["pay"] += 1
            return
        submitted = await self.api.submit_id_card(citizen)
        app_id = submitted["id"]
        self.ack("submit", app_id, submitted)
        self.chains.add(app_id)  # its end state is checked through its payment
        self.ack("staff", app_id, await self.api.act("police-clerk", app_id, "accept"))
        review = {"decision": "approve", "opinion": "同意换领"}
        approved = await self.api.act("police-reviewer", app_id, "review", review)
        self.ack("staff", app_id, approved)
        order = await self.api.call(
            "pay", "POST", f"/api/v1/applications/{app_id}/payment", ok=(201,), headers=citizen
        )
        started = time.perf_counter()
        _, deliveries = await asyncio.to_thread(self.pay.pay, order["outTradeNo"])
        self.calls.append(Call("pay-notify", self.now(), time.perf_counter() - started, 200))
        if any(d.acknowledged for d in deliveries):
            self.paid.append(Case(app_id, citizen, "paid", order["position"]))
        else:
            self.unavailable["pay-notify"] += 1  # the reconciler will find it

    async def book(self) -> None:
        citizen = self._fresh.pop() if self._fresh else None
        if citizen is None:
            self.skipped["book"] += 1
            return
        hall = random.choice(["city-center", "east-district"])  # noqa: S311
        today = datetime.now(UTC).astimezone(CST).date()
        booked = await self.api.book(citizen, hall, today)
        if booked is None:
            self.skipped["book"] += 1
            return
        self.ack("book", booked["id"], booked)
        self.booked.append(booked["id"])

    async def food(self) -> None:
        citizen = self._citizen()
        if citizen is None:
            self.skipped["food"] += 1
            return
        submitted = await self.api.submit_food(citizen, courier=True)
        self.ack("submit", submitted["id"], submitted)
        self.chains.add(submitted["id"])  # couriers move it on: checked through its delivery
        self.ack("staff", submitted["id"], await self.api.approve_food(submitted["id"]))

    async def courier(self) -> None:
        tasks = [t for t in await self.api.courier_tasks() if t["waybillNo"]]
        movable = [
            t
            for t in tasks
            if t["id"] not in self._moving and self._stage.get(t["id"], t["status"]) in _COURIER
        ]
        if not movable:
            self.skipped["courier"] += 1
            return
        task = random.choice(movable)  # noqa: S311
        delivery = task["id"]
        step = _COURIER[self._stage.get(delivery, task["status"])]
        self._moving.add(delivery)
        try:
            await self._scan(task, step)
        finally:
            self._moving.discard(delivery)
        self._stage[delivery] = step
        if step == "delivered":
            self.delivered.append(delivery)

    async def _scan(self, task: dict[str, Any], step: str) -> None:
        if step == "picked_up":  # SF's own route push
            started = time.perf_counter()
            reply = await asyncio.to_thread(self.sf.push, task["waybillNo"], "50")
            self.calls.append(
                Call("courier-push", self.now(), time.perf_counter() - started, reply.status)
            )
            if reply.status != 200:
                raise Unexpected("courier-push", reply.status, str(reply.body))
            return
        fields = {"signedBy": "张三"} if step == "delivered" else {"location": "杭州西湖营业部"}
        self.ack("courier", task["id"], await self.api.courier_report(task["id"], step, **fields))

    def operations(self) -> dict[str, Callable[[], Awaitable[None]]]:
        return {
            "login": self.login,
            "submit": self.submit,
            "staff": self.staff,
            "progress": self.progress,
            "pay": self.pay_fee,
            "book": self.book,
            "food": self.food,
            "courier": self.courier,
        }

    # --- running ----------------------------------------------------------------------------

    async def _one(self, kind: str, operation: Callable[[], Awaitable[None]]) -> None:
        self.in_flight[kind] += 1
        try:
            await operation()
            self.done[kind] += 1
        except Unexpected as exc:
            if exc.status == 503:
                self.unavailable[kind] += 1  # judged against the fault windows at the end
            else:
                self.failures.append(f"{self.now():7.1f}s {kind}: {exc}")
        except (httpx.HTTPError, OSError) as exc:  # (OSError: a fake's own call, SF's push)
            self.failures.append(f"{self.now():7.1f}s {kind}: {type(exc).__name__}: {exc}")
        finally:
            self.in_flight[kind] -= 1

    async def run(
        self, kind: str, rate: float, until: float, tasks: set[asyncio.Task[None]]
    ) -> None:
        """Start ``kind`` ``rate`` times a second until ``until`` seconds into the run."""
        operation = self.operations()[kind]
        for number in range(int(until * rate)):
            delay = number / rate - self.now()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.in_flight[kind] >= _CAP:
                self.skipped[kind] += 1
                continue
            task = asyncio.create_task(self._one(kind, operation))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
