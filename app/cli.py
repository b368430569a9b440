"""The talkuu command: migrate, seed-demo, create-organization, create-user, serve, worker,
audit verify."""

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

from app.config import ROOT, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def migrate() -> None:
    """alembic upgrade head on the configured database."""
    settings = get_settings()
    if settings.is_sqlite:
        (ROOT / "var").mkdir(exist_ok=True)
    command.upgrade(_alembic_config(), "head")


def _create_organization(args: argparse.Namespace) -> int:
    from app.db import new_session
    from app.errors import TalkuuError
    from app.services import organizations as organizations_service

    with new_session() as session:
        try:
            organization = organizations_service.create_organization(
                session=session, slug=args.slug, name_ru=args.name_ru, name_ky=args.name_ky,
                name_en=args.name_en)
        except TalkuuError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        session.commit()
        print(f"created organization {organization.slug} (id {organization.id})")
    return 0


def _create_user(args: argparse.Namespace) -> int:
    from app.db import new_session
    from app.errors import TalkuuError
    from app.models import Role
    from app.services import auth as auth_service
    from app.services import organizations as organizations_service

    with new_session() as session:
        try:
            role = Role(args.role)
            organization = (organizations_service.get_by_slug(session=session,
                                                              slug=args.organization)
                            if args.organization else None)
            if role in (Role.DRAFTER, Role.MODERATOR) and organization is None:
                print("error: drafters and moderators need --organization", file=sys.stderr)
                return 1
            user = auth_service.create_user(
                session=session, email=args.email, password=args.password,
                name=args.name or args.email.split("@")[0], role=role,
                organization=organization, verified=True)
        except TalkuuError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        session.commit()
        print(f"created {role.value} {user.email} (id {user.id})")
    return 0


def _seed_demo(_args: argparse.Namespace) -> int:
    from app.services import demo as demo_service

    migrate()
    demo_service.seed_and_report()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, proxy_headers=True)
    return 0


def housekeeping(session: "Session") -> None:
    """Forget what is no use to anyone: past rate-limit windows, abandoned upload previews."""
    from app.services import ratelimit as ratelimit_service
    from app.services import staging as staging_service

    ratelimit_service.prune(session=session)
    staging_service.purge_abandoned(session=session)
    from app.services import compliance_digest  # the weekly digest, once per week

    compliance_digest.send_due(session=session)


def _worker(args: argparse.Namespace) -> int:
    import logging
    import signal
    import time

    from sqlalchemy.exc import DBAPIError

    from app import collector
    from app.db import new_session
    from app.services import alerts as alerts_service
    from app.services import outbox as outbox_service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log = logging.getLogger("talkuu.worker")
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    last_housekeeping = 0.0
    thresholds = collector.manual()  # collections between rounds only (app/collector.py)
    while True:
        if thresholds is not None:
            collector.collect_due(thresholds)
        try:
            with new_session() as session:
                # Journalists' alerts that fell due are queued first, then sent below.
                alerts_service.run_due(session=session)
                session.commit()
            with new_session() as session:
                sent, deferred = outbox_service.deliver_due(session=session)
                session.commit()
            if time.monotonic() - last_housekeeping > 3600 or args.once:
                with new_session() as session:
                    housekeeping(session)
                    session.commit()
                last_housekeeping = time.monotonic()
            if sent or deferred:
                log.info("sent %d, deferred %d", sent, deferred)
        except DBAPIError as error:
            # The database may be restarting; the messages wait in it, so simply try again.
            log.warning("database unavailable: %s", error)
            sent = 0
        if args.once or stopping:
            return 0
        if not sent:
            time.sleep(args.interval)


def _audit_verify(_args: argparse.Namespace) -> int:
    from app.db import new_session
    from app.services import audit as audit_service

    with new_session(writing=False) as session:
        result = audit_service.verify(session=session)
    if result.ok:
        print(f"audit log intact: {result.checked} entries")
        return 0
    print(f"audit log broken at entry {result.broken_id}: {result.reason} "
          f"({result.checked} entries before it are intact)")
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talkuu", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database to the latest schema")
    commands.add_parser("seed-demo", help="load the demo data (idempotent)")
    org = commands.add_parser("create-organization", help="create a state body")
    org.add_argument("slug")
    org.add_argument("--name-ru", required=True)
    org.add_argument("--name-ky", required=True)
    org.add_argument("--name-en")
    user = commands.add_parser("create-user", help="create an active, verified account")
    user.add_argument("email")
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True,
                      choices=["citizen", "drafter", "moderator", "monitor", "admin"])
    user.add_argument("--organization")
    user.add_argument("--name")
    serve = commands.add_parser("serve", help="serve the web app and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    worker = commands.add_parser("worker", help="send queued email and other outbound messages")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    audit = commands.add_parser("audit", help="audit log tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser("verify", help="check the hash chain of the audit log")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {
        "create-organization": _create_organization,
        "create-user": _create_user,
        "seed-demo": _seed_demo,
        "serve": _serve,
        "worker": _worker,
        "audit": _audit_verify,
    }
    if args.command == "migrate":
        migrate()
        print("database is up to date")
        return 0
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
