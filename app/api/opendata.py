"""Open data: GET /api/v1/export (the list) and /api/v1/export/{dataset}.csv|.jsonl."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.db import new_session
from app.i18n import gettext_
from app.services import opendata as opendata_service

router = APIRouter(prefix="/export", tags=["open data"])


def get_export_sessions() -> Callable[[], Session]:
    """Sessions of the export's own: the stream outlives the request's session, and only
    reads (on SQLite it must not hold the write lock)."""
    return lambda: new_session(writing=False)


ExportSessions = Annotated[Callable[[], Session], Depends(get_export_sessions)]


class ColumnRead(BaseModel):
    name: str
    type: str
    description: str


class DatasetRead(BaseModel):
    name: str
    description: str
    csv: str
    jsonl: str
    columns: list[ColumnRead]


@router.get("", response_model=list[DatasetRead])
def list_datasets() -> list[DatasetRead]:
    """Every dataset with its columns and where to download it."""
    return [DatasetRead(name=d.name, description=gettext_(d.description),
                        csv=f"/api/v1/export/{d.name}.csv", jsonl=f"/api/v1/export/{d.name}.jsonl",
                        columns=[ColumnRead(name=c.name, type=c.type,
                                            description=gettext_(c.description))
                                 for c in d.columns])
            for d in opendata_service.DATASETS.values()]


def streamed(sessions: Callable[[], Session], write: Callable[[Session], Iterator[bytes]],
             media_type: str, headers: dict[str, str]) -> StreamingResponse:
    """A download written as it is sent, read in a session of its own (``ExportSessions``):
    the request's session is closed once the route returns."""
    def body() -> Iterator[bytes]:
        with sessions() as session:
            yield from write(session)

    return StreamingResponse(body(), media_type=media_type, headers=headers)


def _download(sessions: Callable[[], Session], name: str, fmt: str) -> StreamingResponse:
    dataset = opendata_service.get_dataset(name, fmt)
    return streamed(
        sessions, lambda session: opendata_service.stream(session=session, dataset=dataset,
                                                          fmt=fmt),
        opendata_service.FORMATS[fmt], {
            "Content-Disposition": f'attachment; filename="talkuu-{dataset.name}.{fmt}"',
            "Cache-Control": "public, max-age=300"})


@router.get("/{dataset}.csv", response_class=StreamingResponse)
def export_csv(dataset: str, sessions: ExportSessions) -> StreamingResponse:
    """The whole dataset as CSV (UTF-8, a header row)."""
    return _download(sessions, dataset, "csv")


@router.get("/{dataset}.jsonl", response_class=StreamingResponse)
def export_jsonl(dataset: str, sessions: ExportSessions) -> StreamingResponse:
    """The whole dataset as JSON Lines (one object per line)."""
    return _download(sessions, dataset, "jsonl")
