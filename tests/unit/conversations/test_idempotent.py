"""A message resent after a dropped connection is stored once and answered once."""

from __future__ import annotations

from tests.unit.conversations.conftest import ask_with_id


async def test_a_resent_message_is_stored_and_answered_once(setup) -> None:  # type: ignore[no-untyped-def]
    fake, conversations, _ = setup
    first = await ask_with_id(conversations, "idem-1", "wo ist mein paket", "m-1")
    again = await ask_with_id(conversations, "idem-1", "wo ist mein paket", "m-1")
    assert first["replies"] and not first.get("duplicate")
    assert again["duplicate"] is True and again["replies"] == []
    history = await conversations.store.history("idem-1")
    assert [e["speaker"] for e in history] == ["shopper", "bot"]
    assert history[0]["client_id"] == "m-1"
    assert fake.calls == 1


async def test_stored_but_unanswered_is_answered_on_resend(setup) -> None:  # type: ignore[no-untyped-def]
    fake, conversations, _ = setup
    store = conversations.store
    # what a gateway killed between storing and answering leaves behind
    assert await store.claim_client_id("idem-2", "m-9") is None
    [entry] = await store.append_many(
        "idem-2", [{"speaker": "shopper", "text": "hallo?", "client_id": "m-9"}]
    )
    await store.remember_client_id("idem-2", "m-9", entry["seq"])
    result = await ask_with_id(conversations, "idem-2", "hallo?", "m-9")
    assert result["replies"] == [{"text": "Your parcel is in Leipzig."}]
    speakers = [e["speaker"] for e in await store.history("idem-2")]
    assert speakers == ["shopper", "bot"]  # the shopper line was not stored twice
    again = await ask_with_id(conversations, "idem-2", "hallo?", "m-9")
    assert again["duplicate"] is True and fake.calls == 1
