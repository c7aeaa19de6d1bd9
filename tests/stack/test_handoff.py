"""The human handoff on the real stack: queue, claim, relay with translation, hand back,
close, grace, access control — on one gateway and across two."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest

from tests.conftest import say
from tests.support import shopper
from tests.support.agentclient import AgentClient, SocketReader

pytestmark = pytest.mark.stack

PASSWORDS = {
    "lena": "demo-lena-2026",
    "wei": "demo-wei-2026",
    "mark": "demo-mark-2026",
    "tom": "demo-tom-2026",
    "amira": "demo-amira-2026",
}


def transcript_url(stack: Any, conv_id: str) -> str:
    return f"{stack.gateway_url}/api/conversations/{conv_id}"


def conv() -> str:
    return "h" + uuid.uuid4().hex[:16]


def modest_order(store: Any, country: str) -> Any:
    """A shipped order in transit, small and not from a VIP, so tracking does not escalate."""
    for order in store.all_orders():
        customer = store.customer(order.email)
        if (
            store.scenarios[order.order_id] == "in_transit"
            and order.status == "shipped"
            and order.country == country
            and order.total < 200
            and (customer is None or customer.tier != "vip")
        ):
            return order
    raise LookupError(country)


class ShopperSocket(SocketReader):
    name = "shopper"

    def __init__(self, session: aiohttp.ClientSession, base: str, conv_id: str) -> None:
        self.session, self.base, self.conv_id = session, base, conv_id
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.seen: list[dict[str, Any]] = []

    async def __aenter__(self) -> ShopperSocket:
        self.ws = await self.session.ws_connect(shopper.ws_url(self.base, self.conv_id))
        hello = await self.ws.receive_json(timeout=10)  # a new chat's token comes with it
        shopper.remember(self.conv_id, hello)
        self.seen.append(hello)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.ws is not None
        await self.ws.close()


def entry_of(speaker: str, contains: str = "") -> Any:
    return lambda m: (
        m["type"] == "entry" and m["entry"]["speaker"] == speaker and contains in m["entry"]["text"]
    )


async def german_fraud_flow(stack: Any, store: Any, shopper_base: str, agent_base: str) -> None:
    c = conv()
    order = modest_order(store, "DE")
    async with aiohttp.ClientSession() as s:
        lena = await AgentClient(s, stack.gateway_url, "lena", PASSWORDS["lena"]).connect(
            agent_base
        )
        await lena.call(type="status", status="available")
        async with ShopperSocket(s, shopper_base, c) as shopper:
            await shopper.expect(lambda m: m["type"] == "hello")
            first = await say(s, shopper_base, c, "Das ist Betrug!", locale="de-DE")
            assert first["mode"] == "queued" and first["language"] == "de"
            assert "fraud" in [r["code"] for r in first["escalation"]["reasons"]]
            told = " ".join(r["text"] for r in first["replies"])
            assert "Warteschlange" in told or "als Nächstes" in told, told
            await shopper.expect(lambda m: m["type"] == "mode" and m["mode"] == "queued")
            queue = await lena.expect(
                lambda m: (
                    m["type"] == "queue" and any(i["conversation_id"] == c for i in m["items"])
                )
            )
            item = next(i for i in queue["items"] if i["conversation_id"] == c)
            assert item["claimable"] and item["language"] == "de"
            assert "fraud" in [r["code"] for r in item["reasons"]]
            assert item["sla_remaining_s"] > 0 and not item["breached"]

            assert (await lena.call(type="claim", conversation_id=c))["type"] == "ok"
            transcript = await lena.expect(
                lambda m: m["type"] == "transcript" and m["conversation_id"] == c
            )
            shopper_lines = [e for e in transcript["entries"] if e["speaker"] == "shopper"]
            assert shopper_lines[0]["text"] == "Das ist Betrug!"  # German agent: as written
            assert not shopper_lines[0]["translated"]
            assert any(e["speaker"] == "bot" for e in transcript["entries"])
            joined = await shopper.expect(entry_of("system", "Lena"))
            assert joined["entry"]["notice"] == "agent_joined"
            await shopper.expect(
                lambda m: m["type"] == "mode" and m["mode"] == "agent" and m["agent_name"] == "Lena"
            )

            # the bot is silent while Lena has the chat; she sees the shopper live
            quiet = await say(s, shopper_base, c, "Hallo? Ist da jemand?")
            assert quiet["replies"] == [] and quiet["mode"] == "agent"
            await lena.expect(
                lambda m: (
                    m["type"] == "entry"
                    and m["conversation_id"] == c
                    and m["entry"]["text"] == "Hallo? Ist da jemand?"
                )
            )
            await lena.send(type="typing", conversation_id=c)
            await shopper.expect(lambda m: m["type"] == "typing" and m["speaker"] == "agent")
            answer = "Guten Tag, ich bin Lena. Ich sehe mir Ihre Bestellung jetzt an."
            assert (await lena.call(type="message", conversation_id=c, text=answer))["type"] == "ok"
            got = await shopper.expect(entry_of("agent"))
            assert got["entry"]["text"] == answer and got["entry"]["agent"]["name"] == "Lena"

            assert (await lena.call(type="handback", conversation_id=c))["type"] == "ok"
            await shopper.expect(lambda m: m["type"] == "mode" and m["mode"] == "bot")
            back = await shopper.expect(entry_of("system"))
            assert back["entry"]["notice"] == "handback_bot"
            tracked = await say(
                s, shopper_base, c, f"Wo ist meine Bestellung {order.order_id}? {order.email}"
            )
            assert tracked["mode"] == "bot", tracked
            reply = " ".join(r["text"] for r in tracked["replies"])
            assert order.shipment.tracking_number in reply, reply
            assert order.shipment.events[-1].place in reply, reply
        await lena.close()


def test_german_fraud_is_queued_claimed_answered_and_handed_back(stack, store) -> None:
    asyncio.run(german_fraud_flow(stack, store, stack.gateway_url, stack.gateway_url))


def test_same_flow_across_two_gateways(stack, store) -> None:
    other = getattr(stack, "_gateway_b", None) or stack.add_gateway()
    stack._gateway_b = other
    asyncio.run(german_fraud_flow(stack, store, stack.gateway_url, other))


def test_agent_in_another_language_reads_translated_and_writes_back(stack) -> None:
    """Wei works in Chinese: the Spanish shopper's words reach him translated (original
    kept), his reply reaches the shopper in Spanish."""

    async def run() -> None:
        c = conv()
        async with aiohttp.ClientSession() as s:
            wei = await AgentClient(s, stack.gateway_url, "wei", PASSWORDS["wei"]).connect()
            await wei.call(type="status", status="available")
            mark = await AgentClient(s, stack.gateway_url, "mark", PASSWORDS["mark"]).connect()
            await mark.call(type="status", status="away")  # Mark speaks Spanish: away
            first = await say(s, stack.gateway_url, c, "Quiero hablar con una persona, por favor")
            assert first["mode"] == "queued" and first["language"] == "es"
            await wei.expect(
                lambda m: (
                    m["type"] == "queue"
                    and any(
                        i["conversation_id"] == c and i["claimable"] and i["needs_translation"]
                        for i in m["items"]
                    )
                )
            )
            assert (await wei.call(type="claim", conversation_id=c))["type"] == "ok"
            t = await wei.expect(lambda m: m["type"] == "transcript" and m["conversation_id"] == c)
            line = next(e for e in t["entries"] if e["speaker"] == "shopper")
            assert line["translated"] and line["text"].startswith("[zh] ")
            assert line["original"] == "Quiero hablar con una persona, por favor"
            ok = await wei.call(type="canned", conversation_id=c, id="checking")
            assert ok["type"] == "ok"
            entry = ok["entry"]
            assert entry["text"].startswith("[es] ") and entry["language"] == "es"
            assert entry["source_language"] == "zh" and "[es]" not in entry["original"]
            page = await (
                await s.get(
                    f"{stack.gateway_url}/api/conversations/{c}", headers=shopper.headers(c)
                )
            ).json()
            assert page["transcript"][-1]["text"] == entry["text"]
            case = await wei.call(
                type="close",
                conversation_id=c,
                resolution="answered",
                issue_type="other",
                note="asked for a person",
            )
            assert case["type"] == "ok" and case["case_id"].startswith("C-")
            bad = await wei.call(
                type="close", conversation_id=c, resolution="answered", issue_type="other"
            )
            assert bad["type"] == "error" and bad["code"] == "not_yours"
            await wei.close()
            await mark.close()

    asyncio.run(run())


def test_claim_race_transfer_release_and_disconnect_grace(stack) -> None:
    async def run() -> None:
        c = conv()
        async with aiohttp.ClientSession() as s:
            lena = await AgentClient(s, stack.gateway_url, "lena", PASSWORDS["lena"]).connect()
            amira = await AgentClient(s, stack.gateway_url, "amira", PASSWORDS["amira"]).connect()
            for a in (lena, amira):
                await a.call(type="status", status="available")
            await say(s, stack.gateway_url, c, "I want to speak to a human agent")
            for a in (lena, amira):
                await a.expect(
                    lambda m: (
                        m["type"] == "queue" and any(i["conversation_id"] == c for i in m["items"])
                    )
                )
            results = await asyncio.gather(
                lena.call(type="claim", conversation_id=c),
                amira.call(type="claim", conversation_id=c),
            )
            winners = [r for r in results if r["type"] == "ok"]
            losers = [r for r in results if r["type"] == "error"]
            assert len(winners) == 1 and losers[0]["code"] in {"already_claimed", "not_queued"}
            owner, other = (lena, amira) if results[0]["type"] == "ok" else (amira, lena)
            # transfer to the colleague, who is told and gets the chat opened
            assert (await owner.call(type="transfer", conversation_id=c, to_agent=other.login))[
                "type"
            ] == "ok"
            await other.expect(lambda m: m["type"] == "assigned" and m["conversation_id"] == c)
            await other.expect(lambda m: m["type"] == "transcript" and m["conversation_id"] == c)
            # release: back in the queue
            assert (await other.call(type="release", conversation_id=c))["type"] == "ok"
            queue = await (
                await s.get(
                    f"{stack.gateway_url}/api/agent/queue",
                    headers={"Authorization": f"Bearer {lena.token}"},
                )
            ).json()
            assert c in [i["conversation_id"] for i in queue["items"]]
            # claimed again, then the agent's socket drops: after the grace period (3 s on
            # the test stack) the chat is back in the queue and the shopper is told
            assert (await lena.call(type="claim", conversation_id=c))["type"] == "ok"
            await lena.close()
            amira.seen.clear()  # queue snapshots from before the claim are stale now
            await amira.expect(
                lambda m: (
                    m["type"] == "queue" and any(i["conversation_id"] == c for i in m["items"])
                ),
                timeout=15,
            )
            for _ in range(50):  # a snapshot may have been in flight; the grace is 3 s
                page = await (
                    await s.get(
                        f"{stack.gateway_url}/api/conversations/{c}", headers=shopper.headers(c)
                    )
                ).json()
                if page["meta"]["mode"] == "queued":
                    break
                await asyncio.sleep(0.2)
            assert page["meta"]["mode"] == "queued"
            assert [e["notice"] for e in page["transcript"] if e.get("notice")][-1] == "agent_left"
            await amira.close()

    asyncio.run(run())


def test_console_access_needs_an_agent_login(stack) -> None:
    async def run() -> None:
        base = stack.gateway_url
        async with aiohttp.ClientSession() as s:
            r = await s.get(f"{base}/api/agent/queue")
            assert r.status == 401 and (await r.json())["error"]["code"] == "login_required"
            r = await s.get(f"{base}/ws/agent")
            assert r.status == 401
            r = await s.post(
                f"{base}/api/auth/login", json={"login": "tom", "password": PASSWORDS["tom"]}
            )
            token = (await r.json())["token"]
            r = await s.get(f"{base}/api/agent/queue", headers={"Authorization": f"Bearer {token}"})
            assert r.status == 403  # a trainer is not an agent
            r = await s.post(f"{base}/api/auth/login", json={"login": "lena", "password": "wrong"})
            assert r.status == 401
            r = await s.post(f"{base}/api/auth/login", data=b"{oops")
            assert r.status == 400
            lena = await AgentClient(s, base, "lena", PASSWORDS["lena"]).connect()
            for bad, code in (
                ({"type": "claim", "conversation_id": "x"}, "bad_conversation_id"),
                ({"type": "fly"}, "bad_conversation_id"),
                ({"type": "message", "conversation_id": conv(), "text": "hi"}, "not_yours"),
                ({"type": "status", "status": "asleep"}, "bad_status"),
            ):
                answer = await lena.call(**bad)
                assert answer["type"] == "error" and answer["code"] == code, answer
            await lena.close()

    asyncio.run(run())


def test_a_gateway_crash_loses_nothing(stack) -> None:
    """The agent's gateway dies; the shopper keeps writing on another one; the agent
    reconnects (through any gateway) and still owns the chat, with every message."""

    async def run() -> None:
        c = conv()
        crashing = stack.add_gateway("gateway-crash")
        async with aiohttp.ClientSession() as s:
            lena = await AgentClient(s, stack.gateway_url, "lena", PASSWORDS["lena"]).connect(
                crashing
            )
            await lena.call(type="status", status="available")
            await say(
                s, stack.gateway_url, c, "Ich möchte mit einem Menschen sprechen", locale="de-DE"
            )
            await lena.expect(
                lambda m: (
                    m["type"] == "queue" and any(i["conversation_id"] == c for i in m["items"])
                )
            )
            assert (await lena.call(type="claim", conversation_id=c))["type"] == "ok"
            stack.kill("gateway-crash")
            during = await say(s, stack.gateway_url, c, "Sind Sie noch da?")
            assert during["mode"] == "agent" and during["replies"] == []
            again = await AgentClient(s, stack.gateway_url, "lena", PASSWORDS["lena"]).connect()
            t = await again.expect(
                lambda m: m["type"] == "transcript" and m["conversation_id"] == c
            )
            assert t["mine"] and t["entries"][-1]["text"] == "Sind Sie noch da?"
            assert (await again.call(type="message", conversation_id=c, text="Ja, ich bin da."))[
                "type"
            ] == "ok"
            await again.call(type="handback", conversation_id=c)
            await again.close()

    asyncio.run(run())
