"""What the fault tests share besides tests/servers.py: a surge of comments that remembers
what was acknowledged, and the check that nothing acknowledged was lost or half-written."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.models import AuditEntry, Comment, OutboxMessage


@dataclass
class Surge:
    """Comments sent without pause by ``workers`` clients to whatever ``base`` is now."""

    base: str
    draft_id: int
    tokens: list[str]
    acknowledged: dict[str, str] = field(default_factory=dict)  # receipt -> body
    statuses: list[int | str] = field(default_factory=list)
    stop: bool = False

    async def run(self, workers: int, until: Callable[["Surge"], bool]) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            async def worker(n: int) -> None:
                sent = 0
                while not self.stop:
                    body = f"Замечание {n}-{sent}: уточнить понятие потребителя"
                    sent += 1
                    try:
                        answer = await client.post(
                            f"{self.base}/api/v1/drafts/{self.draft_id}/comments",
                            headers={"Authorization": f"Bearer {self.tokens[n]}"},
                            json={"clause_key": "art-1", "body": body})
                        self.statuses.append(answer.status_code)
                        if answer.status_code == 201:
                            self.acknowledged[answer.json()["receipt"]] = body
                    except httpx.TransportError as error:
                        self.statuses.append(type(error).__name__)
                        await asyncio.sleep(0.05)
                    if until(self):
                        self.stop = True
            await asyncio.gather(*(worker(n) for n in range(workers)))


def check_nothing_lost_or_half_written(url: str, draft_id: int,
                                       acknowledged: dict[str, str]) -> int:
    """Every acknowledged receipt stored with its text; every stored comment complete (its
    audit entry and its receipt email were written with it); returns how many are stored."""
    engine = create_engine(url)
    with Session(engine) as session:
        stored = dict(session.execute(select(Comment.receipt, Comment.body).where(
            Comment.draft_id == draft_id)).all())
        for receipt, body in acknowledged.items():
            assert stored.get(receipt) == body, f"acknowledged {receipt} is missing"
        ids = [str(i) for i in session.scalars(select(Comment.id).where(
            Comment.draft_id == draft_id))]
        audited = session.scalar(select(func.count(func.distinct(AuditEntry.entity_id))).where(
            AuditEntry.action == "comment.submitted", AuditEntry.entity_id.in_(ids)))
        assert audited == len(ids)
        mailed = session.scalars(select(OutboxMessage.subject).where(
            OutboxMessage.kind == "receipt")).all()
        assert sorted(r for r in stored if any(r in s for s in mailed)) == sorted(stored)
        assert len(mailed) == len(stored)
    engine.dispose()
    return len(stored)
