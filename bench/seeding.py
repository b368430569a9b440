"""Helpers the PostgreSQL benchmarks share: a database of their own, comment texts drawn in SQL
from a skewed vocabulary, percentiles, a process's memory (bench/search_bench.py,
export_bench.py, scale_bench.py).
"""

from __future__ import annotations

from pathlib import Path

WORDS = """потребитель потребителя потребителей потребителям права право прав защита защиты
налог налога налогов налоговый предприниматель предпринимателей предпринимателям срок сроки
срока статья статьи пункт пункта закон закона законы штраф штрафа штрафов лицензия лицензии
вода воды водоснабжение тариф тарифа тарифов земля земли участок участка договор договора
гражданин граждан гражданам орган органа органы услуга услуги услуг порядок порядка
предлагаю уточнить исключить дополнить изложить редакции считаем необходимо норма нормы
противоречит конституции коррупционные риски бизнес малый средний государственный
муниципальный бюджет бюджета финансирование отчет отчета мыйзам мыйзамдын мыйзамга берене
беренеси бөлүк бөлүгү өкүлү өкмөт өкмөттүн түшүндүрмө түшүнүк керектөөчү керектөөчүлөрдүн
жаран жарандар жарандардын укук укуктары мөөнөт мөөнөтү салык салыктар салыгы ишкер
ишкерлер ишкердик жер жерлер суу сууга тариф келишим келишими уюм уюмдар мамлекеттик
муниципалдык кызмат кызматтар сунуштайм өзгөртүү кошумча алып салуу жоболор жобо""".split()
SYNTHETIC = 20_000  # rare words: "термин1" ... "термин20000"


def vocabulary() -> list[str]:
    """The real words first, then the synthetic rare ones (see ``body_sql``)."""
    return WORDS + [f"термин{i}" for i in range(1, SYNTHETIC + 1)]


def body_sql(number: str) -> str:
    """SQL for a comment body of 15-17 words, for the row whose integer is ``number``; takes
    the parameters ``vocab`` (``vocabulary()``) and ``size`` (its length).  Real words come
    first in the vocabulary and the draw is ``random()^3``: a few words are very common (in a
    third of all comments), the synthetic ones rare, as in real text."""
    return (f"(SELECT string_agg((%(vocab)s::text[])["
            f"1 + floor(%(size)s::int * random() ^ 3)::int], ' ') "
            f"FROM generate_series(1, 15 + {number} %% 3) AS word)")


def create_database(host: str, name: str) -> None:
    import psycopg

    with psycopg.connect(host=host, user="postgres", dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(host: str, name: str) -> None:
    """Drop the bench's database, after closing the app's pooled connections to it."""
    import psycopg

    from app.db import get_engine

    get_engine().dispose()
    with psycopg.connect(host=host, user="postgres", dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def memory(pid: int) -> dict[str, float]:
    """Resident memory of process ``pid`` now and at its peak (VmRSS, VmHWM), in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024  # MiB
    return fields
