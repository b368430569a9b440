"""The admission gate (app/gate.py): requests wait on the event loop, and one client address
holds at most its share of the write places, so a burst from one address cannot make every
other client queue behind it (issue 9, scenario 3)."""

import asyncio

import pytest

from app.config import get_settings
from app.gate import ConcurrencyGate


class Inside:
    """An ASGI app that counts who is inside and waits until told to answer."""

    def __init__(self) -> None:
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        address = scope["client"][0]
        self.now[address] = self.now.get(address, 0) + 1
        self.most[address] = max(self.most.get(address, 0), self.now[address])
        await self.release.wait()
        self.now[address] -= 1
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def _post(gate: ConcurrencyGate, address: str, statuses: list[int],
                path: str = "/api/v1/drafts/1/comments",
                headers: list[tuple[bytes, bytes]] | None = None) -> None:
    scope = {"type": "http", "method": "POST", "path": path, "client": (address, 5000),
             "headers": headers or []}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await gate(scope, receive, send)


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TALKUU_MAX_CONCURRENT_WRITES", "8")
    monkeypatch.setenv("TALKUU_MAX_CONCURRENT_WRITES_PER_CLIENT", "3")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_one_address_cannot_take_every_write_place(limits) -> None:
    async def scenario() -> tuple[Inside, list[int], ConcurrencyGate]:
        inside = Inside()
        gate = ConcurrencyGate(inside)
        statuses: list[int] = []
        bot = [asyncio.create_task(_post(gate, "10.9.9.9", statuses)) for _ in range(20)]
        await asyncio.sleep(0.05)
        users = [asyncio.create_task(_post(gate, f"10.2.0.{n}", statuses)) for n in range(5)]
        await asyncio.sleep(0.05)
        # The bot holds its 3 places; the five others got in at once beside it.
        assert inside.now["10.9.9.9"] == 3
        assert all(inside.now[f"10.2.0.{n}"] == 1 for n in range(5))
        inside.release.set()
        await asyncio.gather(*bot, *users)
        return inside, statuses, gate

    inside, statuses, gate = asyncio.run(scenario())
    assert statuses == [201] * 25  # the bot's other writes waited, none was dropped
    assert inside.most["10.9.9.9"] == 3
    assert gate._clients == {}  # nothing kept for addresses with no request in hand


def test_json_comment_submissions_take_no_write_place(limits) -> None:
    """They wait for their batch on the loop (app/api/comment_intake.py): the write places
    would only cap the batches.  A form with files, handled alone in a thread, and every other
    write still take one."""
    multipart = [(b"content-type", b"multipart/form-data; boundary=x")]

    async def scenario() -> tuple[Inside, list[int]]:
        inside = Inside()
        gate = ConcurrencyGate(inside)
        statuses: list[int] = []
        tasks = [asyncio.create_task(_post(gate, f"10.3.0.{n}", statuses)) for n in range(12)]
        tasks += [asyncio.create_task(_post(gate, f"10.4.0.{n}", statuses, headers=multipart))
                  for n in range(6)]
        tasks += [asyncio.create_task(_post(gate, f"10.5.0.{n}", statuses,
                                            path="/api/v1/drafts")) for n in range(6)]
        await asyncio.sleep(0.05)
        assert sum(inside.now.get(f"10.3.0.{n}", 0) for n in range(12)) == 12
        others = sum(inside.now.get(f"10.{k}.0.{n}", 0) for k in (4, 5) for n in range(6))
        assert others == 8  # TALKUU_MAX_CONCURRENT_WRITES
        inside.release.set()
        await asyncio.gather(*tasks)
        return inside, statuses

    _inside, statuses = asyncio.run(scenario())
    assert statuses == [201] * 24


def test_by_default_an_address_has_one_comment_submission_in_hand(monkeypatch) -> None:
    """A bot's submissions that get past the proxy reach the batch intake one at a time, so a
    batch holds one of them beside everybody else's (bench/README.md, scenario 3)."""
    monkeypatch.delenv("TALKUU_MAX_CONCURRENT_WRITES_PER_CLIENT", raising=False)
    get_settings.cache_clear()

    async def scenario() -> tuple[Inside, list[int]]:
        inside = Inside()
        gate = ConcurrencyGate(inside)
        statuses: list[int] = []
        tasks = [asyncio.create_task(_post(gate, "10.9.9.9", statuses)) for _ in range(10)]
        tasks += [asyncio.create_task(_post(gate, f"10.2.0.{n}", statuses)) for n in range(5)]
        await asyncio.sleep(0.05)
        assert inside.now["10.9.9.9"] == 1
        assert all(inside.now[f"10.2.0.{n}"] == 1 for n in range(5))
        inside.release.set()
        await asyncio.gather(*tasks)
        return inside, statuses

    try:
        inside, statuses = asyncio.run(scenario())
    finally:
        get_settings.cache_clear()
    assert statuses == [201] * 15  # the bot's others waited their turn, none was dropped
    assert inside.most["10.9.9.9"] == 1
