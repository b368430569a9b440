"""The demo data set: real state bodies, accounts, and drafts at every stage of the lifecycle.

The content lives in ``app/demo/scenario.toml`` and the texts beside it. Everything goes through
the same services as production, so every change is audited as it would be; history (closed
periods, published summaries) is made by walking the one clock through past moments, relative to
the real time of seeding. Seeding twice adds nothing: once the demo accounts exist, it only
reports them.
"""

import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as time_of_day
from html.parser import HTMLParser
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.config import get_settings
from app.db import new_session
from app.models import Clause, Comment, Decision, Draft, DraftStatus, Organization, Role, User
from app.services import auth as auth_service
from app.services import comments as comments_service
from app.services import consultations as consultations_service
from app.services import drafts as drafts_service
from app.services import organizations as organizations_service
from app.services import responses as responses_service
from app.services import summaries as summaries_service

DEMO_PASSWORD = "talkuu-demo"
SCENARIO = "scenario.toml"
_MOMENT_RE = re.compile(r"^(-?\d+)d (\d{1,2}):(\d{2})$")
_STEP_RE = re.compile(r"^(section|chapter|article|part|point|subpoint)\s+(\S+)$|^text:\s*(.+)$")


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: Role
    name: str
    organization: str | None


@dataclass
class DemoDraft:
    id: int
    title: str
    organization: str
    status: DraftStatus
    comments: int
    clauses: int = 0
    parse_warnings: list[str] = field(default_factory=list)


@dataclass
class DemoReport:
    """What ``seed`` did: ``created`` is False when the demo was already there."""

    created: bool
    url: str
    organizations: list[str]
    accounts: list[DemoAccount]
    drafts: list[DemoDraft] = field(default_factory=list)
    # Clause references of the scenario that the parser's tree no longer has.
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --- the shipped files ---------------------------------------------------------------------

def _demo_file(name: str) -> str:
    return resources.files("app").joinpath("demo", *name.split("/")).read_text(encoding="utf-8")


def load_scenario() -> dict[str, Any]:
    """The demo's content as written in app/demo/scenario.toml."""
    return tomllib.loads(_demo_file(SCENARIO))


class _WordHtml(HTMLParser):
    """Paragraphs of a Word "Save as HTML" export: a break at each block element."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[str]] = [[]]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.paragraphs.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.paragraphs.append([])

    def handle_data(self, data: str) -> None:
        self.paragraphs[-1].append(data)


# Attribute text of a tag cut in half: "...;line-height:115%>" (no letters of the text in it).
_DEBRIS_RE = re.compile(r"^[^<>А-Яа-яЁёӨөҮүҢң]*[:;%=][^<>А-Яа-яЁёӨөҮүҢң]*>")


def html_paragraphs(html: str) -> list[str]:
    """The text of a Word HTML fragment as paragraphs, without the debris of a cut export.

    A fragment cut out of a larger file starts inside a tag ("...line-height:115%>ЖАЛПЫ
    БӨЛҮК"): the broken attribute text is dropped and the words after it kept. A last
    paragraph that stops mid-word (no closing punctuation) is dropped rather than published
    half-written.
    """
    parser = _WordHtml()
    parser.feed(html)
    parser.close()
    paragraphs = [p for p in (" ".join("".join(parts).split()) for parts in parser.paragraphs)
                  if p]
    if paragraphs:
        paragraphs[0] = _DEBRIS_RE.sub("", paragraphs[0], count=1).strip()
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and paragraphs[-1][-1] not in ".;:)»\"!?":
        paragraphs.pop()
    return paragraphs


def _load_text(spec: str | list[str]) -> str:
    names = [spec] if isinstance(spec, str) else spec
    paragraphs: list[str] = []
    for name in names:
        raw = _demo_file(name)
        paragraphs.extend(html_paragraphs(raw) if name.endswith(".html") else [raw.strip()])
    return "\n\n".join(paragraphs) + "\n"


# --- time ----------------------------------------------------------------------------------

class _Timeline:
    """Actions at past moments, run in time order with the clock set to each moment."""

    def __init__(self, start: datetime) -> None:
        self.start = clock.local(start)
        self.steps: list[tuple[datetime, int, Callable[[], None]]] = []

    def moment(self, spec: str) -> datetime:
        match = _MOMENT_RE.match(spec.strip())
        if match is None:
            raise ValueError(f"demo scenario: bad moment {spec!r}")
        days, hour, minute = (int(g) for g in match.groups())
        day = self.start.date() + timedelta(days=days)
        return datetime.combine(day, time_of_day(hour, minute), tzinfo=self.start.tzinfo)

    def at(self, spec: str, action: Callable[[], None]) -> None:
        moment = self.moment(spec)
        if moment >= self.start:
            raise ValueError(f"demo scenario: {spec!r} is not in the past")
        self.steps.append((moment, len(self.steps), action))

    def run(self) -> None:
        for moment, _order, action in sorted(self.steps, key=lambda step: step[:2]):
            clock.set_now(moment)
            action()


# --- clauses named by their place or their words --------------------------------------------

def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _matches(clause: Clause, kind: str, number: str) -> bool:
    if clause.kind != kind:
        return False
    if clause.number == number:
        return True
    # "Статья 231." may be read as 23-1 and "17-берене" after "1-берене" as 1-7: the digits of
    # the label as written are what a reader of the text calls the article.
    label = clause.label_ru or clause.label_ky
    return kind in ("article", "chapter") and bool(_digits(number)) and (
        _digits(label) == _digits(number))


def _words(clause: Clause) -> str:
    return " ".join(" ".join(filter(None, (
        clause.label_ru, clause.heading_ru, clause.text_ru,
        clause.label_ky, clause.heading_ky, clause.text_ky))).split())


def resolve_clause(clauses: list[Clause], path: str) -> tuple[str | None, str | None]:
    """The key named by ``path`` ("article 16 / part 2", "text: ...") and a problem, if any.

    When a step cannot be found the deepest clause found so far is used, so that a comment
    still lands near its place; the problem is reported.
    """
    start, end = 0, len(clauses)
    found: Clause | None = None
    for step in (s.strip() for s in path.split(" / ")):
        match = _STEP_RE.match(step)
        if match is None:
            raise ValueError(f"demo scenario: bad clause step {step!r}")
        kind, number, words = match.groups()
        hit = next((i for i in range(start, end) if (
            " ".join(words.split()) in _words(clauses[i]) if words
            else _matches(clauses[i], kind, number))), None)
        if hit is None:
            where = found.key if found else "the text"
            return (found.key if found else None), f"{path!r}: no {step!r} in {where}"
        found = clauses[hit]
        start, end = hit + 1, hit + 1
        while end < len(clauses) and clauses[end].depth > found.depth:
            end += 1
    return (found.key if found else None), None


# --- seeding -------------------------------------------------------------------------------

def _accounts(scenario: dict[str, Any]) -> list[DemoAccount]:
    return [DemoAccount(email=a["email"], password=DEMO_PASSWORD, role=Role(a["role"]),
                        name=a["name"], organization=a.get("organization"))
            for a in scenario["account"]]


def _report_drafts(session: Session, users: list[User]) -> list[DemoDraft]:
    drafts = list(session.scalars(select(Draft).where(
        Draft.created_by_id.in_([u.id for u in users])).order_by(Draft.id)))
    return [DemoDraft(id=s.draft.id, title=s.draft.title_ru or s.draft.title_ky or "",
                      organization=s.draft.organization.slug, status=s.status(),
                      comments=s.comments)
            for s in drafts_service.load_states(session=session, drafts=drafts)]


def seed(*, session: Session) -> DemoReport:
    """Load the demo data set through the services; flushes, the caller commits."""
    began = time.monotonic()
    scenario = load_scenario()
    accounts = _accounts(scenario)
    report = DemoReport(created=False, url=get_settings().base_url, accounts=accounts,
                        organizations=[o["slug"] for o in scenario["organization"]])
    existing = list(session.scalars(select(User).where(
        User.email.in_([a.email for a in accounts]))))
    if existing:
        report.drafts = _report_drafts(session, existing)
        return report
    seeder = _Seeder(session=session, scenario=scenario, report=report)
    try:
        seeder.run()
    finally:
        clock.set_now(None)
    report.created = True
    report.drafts = _report_drafts(session, list(seeder.users.values()))
    for draft in report.drafts:
        draft.clauses, draft.parse_warnings = seeder.parsed[draft.id]
    report.seconds = time.monotonic() - began
    return report


class _Seeder:
    """Schedules every action of the scenario on one timeline, then runs it."""

    def __init__(self, *, session: Session, scenario: dict[str, Any],
                 report: DemoReport) -> None:
        self.session = session
        self.scenario = scenario
        self.report = report
        self.timeline = _Timeline(clock.now())
        self.users: dict[str, User] = {}
        self.organizations: dict[str, Organization] = {}
        # Per draft: the clauses its first version was parsed into, and the parser's warnings.
        self.parsed: dict[int, tuple[int, list[str]]] = {}

    def run(self) -> None:
        self.timeline.at(self.scenario["accounts_created"], self._create_people)
        for spec in self.scenario["draft"]:
            self._schedule_draft(spec)
        self.timeline.run()

    def _create_people(self) -> None:
        session = self.session
        accounts = {a["email"]: a for a in self.scenario["account"]}
        admin_spec = next(a for a in self.scenario["account"] if a["role"] == "admin")
        admin = self._create_user(admin_spec, actor=None)
        for spec in self.scenario["organization"]:
            organization = session.scalar(
                select(Organization).where(Organization.slug == spec["slug"]))
            if organization is None:  # a body an admin created by hand is reused as it is
                organization = organizations_service.create_organization(
                    session=session, slug=spec["slug"], name_ru=spec["ru"], name_ky=spec["ky"],
                    name_en=spec.get("en"), actor=admin)
            self.organizations[spec["slug"]] = organization
        for email, spec in accounts.items():
            if email != admin.email:
                self._create_user(spec, actor=admin)

    def _create_user(self, spec: dict[str, Any], actor: User | None) -> User:
        slug = spec.get("organization")
        user = auth_service.create_user(
            session=self.session, email=spec["email"], password=DEMO_PASSWORD,
            name=spec["name"], role=Role(spec["role"]),
            organization=self.organizations[slug] if slug else None, verified=True, actor=actor)
        self.users[user.email] = user
        return user

    def _schedule_draft(self, spec: dict[str, Any]) -> None:
        session, at = self.session, self.timeline.at
        state: dict[str, Any] = {"comments": {}}

        def publish() -> None:
            texts = {code: _load_text(name) for code, name in spec["text"].items()}
            state["texts"] = texts
            draft, outcome = drafts_service.create_draft(
                session=session, actor=self.users[spec["drafter"]],
                organization=self.organizations[spec["organization"]],
                act_type=spec["act_type"], title=spec["title"], summary=spec.get("summary"),
                text=drafts_service.VersionText(**texts))
            state["draft"] = draft
            self.parsed[draft.id] = (sum(outcome.counts.values()), outcome.warnings)

        at(spec["published"], publish)
        if "consultation" in spec:
            self._schedule_consultation(spec, state)
        for version in spec.get("version", []):
            at(version["at"], lambda version=version: self._add_version(spec, state, version))

    def _schedule_consultation(self, spec: dict[str, Any], state: dict[str, Any]) -> None:
        session, at, moment = self.session, self.timeline.at, self.timeline.moment
        period = spec["consultation"]

        def drafter() -> User:
            return self.users[spec["drafter"]]

        def open_period() -> None:
            consultations_service.open_consultation(
                session=session, actor=drafter(), draft=state["draft"],
                opens_at=moment(period["opens"]), closes_at=moment(period["closes"]),
                urgent_reason=period.get("urgent_reason"))
            state["clauses"] = drafts_service.get_clauses(
                session=session, version=drafts_service.get_version(
                    session=session, draft=state["draft"]))

        at(period["opened"], open_period)
        if "extension" in spec:
            extension = spec["extension"]
            at(extension["at"], lambda: consultations_service.extend_consultation(
                session=session, actor=drafter(), draft=state["draft"],
                closes_at=moment(extension["closes"]), reason=extension["reason"]))
        for index, comment in enumerate(spec.get("comment", [])):
            at(comment["at"], lambda i=index, c=comment: self._submit(state, i, c))
            if "answer" in comment:
                at(comment["answer"]["at"], lambda i=index, c=comment: self._answer(
                    state, i, c["answer"], drafter()))
            if "hidden" in comment:
                at(comment["hidden"]["at"], lambda i=index, c=comment: self._hide(
                    state, i, c["hidden"]))
        if "feedback_summary" in spec:
            at(spec["feedback_summary"]["at"], lambda: summaries_service.publish_summary(
                session=session, actor=drafter(), draft=state["draft"]))

    def _submit(self, state: dict[str, Any], index: int, spec: dict[str, Any]) -> None:
        clause_key = None
        if "clause" in spec:
            clause_key, problem = resolve_clause(state["clauses"], spec["clause"])
            if problem:
                self.report.warnings.append(f"draft {state['draft'].id}: {problem}")
        # Kept by their place in the scenario: comments are submitted in time order instead.
        state["comments"][index] = comments_service.submit_comment(
            session=self.session, author=self.users[spec["author"]], draft=state["draft"],
            body=spec["body"], clause_key=clause_key,
            proposed_wording=spec.get("proposed_wording"), on_behalf_of=spec.get("on_behalf_of"))

    def _comment(self, state: dict[str, Any], index: int) -> Comment:
        # Loaded afresh so that its answer (a lazy="raise" relationship) is there.
        return comments_service.get_comment(session=self.session,
                                            comment_id=state["comments"][index].id)

    def _answer(self, state: dict[str, Any], index: int, spec: dict[str, Any],
                drafter: User) -> None:
        responses_service.answer_comment(
            session=self.session, actor=drafter, comment=self._comment(state, index),
            decision=Decision(spec["decision"]), reasoning=spec["reasoning"])

    def _hide(self, state: dict[str, Any], index: int, spec: dict[str, Any]) -> None:
        comments_service.hide_comment(session=self.session, actor=self.users[spec["by"]],
                                      comment=self._comment(state, index), reason=spec["reason"])

    def _add_version(self, spec: dict[str, Any], state: dict[str, Any],
                     version: dict[str, Any]) -> None:
        texts = dict(state["texts"])
        for old, new in version.get("replace", []):
            hits = sum(old in text for text in texts.values())
            if not hits:
                raise ValueError(f"demo scenario: {old!r} is not in the text of "
                                 f"{spec['title'].get('ru')!r}")
            texts = {code: text.replace(old, new) for code, text in texts.items()}
        state["texts"] = texts
        drafts_service.add_version(session=self.session, actor=self.users[spec["drafter"]],
                                   draft=state["draft"], text=drafts_service.VersionText(**texts),
                                   change_note=version["change_note"])


# --- the command ---------------------------------------------------------------------------

def seed_and_report() -> None:
    """`talkuu seed-demo`: seed in one transaction, then print the accounts and the address."""
    with new_session() as session:
        report = seed(session=session)
        session.commit()
    if report.created:
        print(f"Demo data loaded in {report.seconds:.1f} s: {len(report.organizations)} state "
              f"bodies, {len(report.accounts)} accounts, {len(report.drafts)} drafts.")
    else:
        print("Demo data already present; nothing was added.")
    for draft in report.drafts:
        print(f"draft {draft.id:<4} {draft.status.value:<19} {draft.organization:<15} "
              f"{draft.comments:>2} comments  {draft.title[:70]}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    width = max(len(a.email) for a in report.accounts)
    for account in report.accounts:
        print(f"{account.role.value:<9} {account.email:<{width}}  password: {account.password}"
              f"  {account.name}{f' ({account.organization})' if account.organization else ''}")
    print(f"Open {report.url}")
