"""The baseline of bench/load.py scenario 1: a bare endpoint that only inserts one row.

Never part of the application: it exists only here, served by its own uvicorn processes on
the benchmark's throwaway database, with the same engine settings as the app (app.db).

    TALKUU_DATABASE_URL=... .venv/bin/python -m uvicorn bench.bare_app:app --workers 2
"""

import os

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text

from app.db import make_engine

app = FastAPI()
engine = make_engine(os.environ["TALKUU_DATABASE_URL"])


class Posted(BaseModel):
    body: str
    clause_key: str | None = None


@app.post("/bare", status_code=201)
def bare(posted: Posted) -> dict[str, int]:
    with engine.begin() as connection:
        row_id = connection.execute(text("INSERT INTO bench_bare (body) VALUES (:body) "
                                         "RETURNING id"), {"body": posted.body}).scalar_one()
    return {"id": row_id}
