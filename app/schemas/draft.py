from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import LocalTime, Multilingual, ReadModel
from app.schemas.organization import OrganizationRead


class DraftTextIn(BaseModel):
    ru: str | None = None
    ky: str | None = None


class DraftCreate(BaseModel):
    organization: str
    act_type: str
    title: str | Multilingual
    summary: str | Multilingual | None = None
    text: DraftTextIn


class VersionCreate(BaseModel):
    text: DraftTextIn
    change_note: str | None = Field(default=None, max_length=5000)


class ParseReportRead(BaseModel):
    counts: dict[str, int]
    warnings: list[str]
    unplaced: list[str] = []
    mismatched_keys: dict[str, list[str]] = {}


class ExtensionRead(ReadModel):
    previous_closes_at: LocalTime
    new_closes_at: LocalTime
    reason: str
    created_at: LocalTime


class ConsultationRead(BaseModel):
    round: int
    version: int
    opens_at: LocalTime
    closes_at: LocalTime
    original_closes_at: LocalTime
    is_open: bool
    urgent_reason: str | None
    clause_keys: list[str] | None
    summary_due_on: date
    extensions: list[ExtensionRead] = []


class DraftStats(BaseModel):
    comments: int
    answered: int


class DraftRead(BaseModel):
    id: int
    title: Multilingual
    summary: Multilingual
    organization: OrganizationRead
    act_type: str
    status: str
    current_version: int
    languages: list[str] = []
    created_at: LocalTime
    consultation: ConsultationRead | None
    stats: DraftStats
    url: str


class DraftCreated(DraftRead):
    parse_report: ParseReportRead


class DraftList(BaseModel):
    items: list[DraftRead]
    total: int
    page: int
    per_page: int


class ClauseRead(BaseModel):
    key: str
    kind: str
    number: str | None
    label: str
    heading: str
    text: str
    note: bool = False
    table: list[list[str]] | None = None
    children: list["ClauseRead"]


class VersionRead(BaseModel):
    number: int
    created_at: LocalTime
    change_note: str | None
    languages: list[str]
    language: str
    clauses: list[ClauseRead]


class VersionCreated(BaseModel):
    number: int
    parse_report: ParseReportRead


class ConsultationOpen(BaseModel):
    opens_at: datetime
    closes_at: datetime
    urgent_reason: str | None = None
    clause_keys: list[str] | None = None


class ConsultationExtend(BaseModel):
    closes_at: datetime
    reason: str


class ClauseDiffRead(BaseModel):
    key: str | None
    from_key: str | None
    change: str
    ops: list[tuple[int, str]]
    kind: str
    number: str | None
    from_number: str | None = None
    depth: int = 0


class VersionDiffRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: int = Field(alias="from")
    to: int
    language: str
    counts: dict[str, int]
    key_map: dict[str, str]
    clauses: list[ClauseDiffRead]
