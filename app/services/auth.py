"""Accounts, passwords (argon2), session and bearer tokens, CSRF tokens."""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import clock
from app.config import Environment, get_settings
from app.errors import EmailTaken, InvalidCredentials, InvalidInput, InvalidLink
from app.i18n import current_language
from app.models import (
    AccountToken, AccountTokenPurpose, AuthToken, Organization, Role, TokenKind, User,
)
from app.services import audit as audit_service
from app.services import notifications as notifications_service


@lru_cache
def _hasher() -> PasswordHasher:
    # argon2id with the library's recommended cost; the test environment, which hashes
    # thousands of passwords, uses the minimum cost (still argon2id).
    if get_settings().env is Environment.TEST:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@lru_cache
def _dummy_hash() -> str:
    # Verifying against this when the email is unknown keeps sign-in time the same either way.
    return _hasher().hash("talkuu-dummy-password")
EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
MIN_PASSWORD_LENGTH = 8


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _validate_account(email: str, password: str, name: str) -> None:
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise InvalidInput("Please enter a valid email address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("The password must be at least {n} characters long.",
                           n=MIN_PASSWORD_LENGTH)
    if len(password) > 1024:
        raise InvalidInput("The password is too long.")
    if not name.strip() or len(name) > 200:
        raise InvalidInput("Please enter your name (up to 200 characters).")


def create_user(
    *,
    session: Session,
    email: str,
    password: str,
    name: str,
    role: Role = Role.CITIZEN,
    organization: Organization | None = None,
    verified: bool = False,
    actor: User | None = None,
) -> User:
    """Create an account; raises EmailTaken if the address is in use."""
    email = normalize_email(email)
    _validate_account(email, password, name)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken()
    user = User(
        email=email,
        password_hash=_hasher().hash(password),
        name=name.strip(),
        role=role,
        organization_id=organization.id if organization else None,
        email_verified_at=clock.now() if verified else None,
    )
    session.add(user)
    session.flush()
    audit_service.record(
        session=session, actor=actor or user, action="user.created", entity_type="user",
        entity_id=user.id,
        after={"email": user.email, "name": user.name, "role": role.value,
               "organization": organization.slug if organization else None,
               "verified": verified},
    )
    return user


def register(*, session: Session, email: str, password: str, name: str) -> User:
    """Self-registration of a citizen account; a link to confirm the address is emailed."""
    user = create_user(session=session, email=email, password=password, name=name)
    user.language = current_language.get()
    send_verification(session=session, user=user)
    return user


VERIFY_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)


def _issue_account_token(session: Session, user: User, purpose: AccountTokenPurpose,
                         lifetime: timedelta) -> str:
    raw = secrets.token_urlsafe(32)
    session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_token_hash(raw),
                             expires_at=clock.now() + lifetime))
    session.flush()
    return raw


def _consume_account_token(session: Session, raw: str, purpose: AccountTokenPurpose) -> User:
    token = session.scalar(select(AccountToken).where(
        AccountToken.token_hash == _token_hash(raw or ""), AccountToken.purpose == purpose))
    if token is None or token.used_at is not None or token.expires_at <= clock.now():
        raise InvalidLink()
    token.used_at = clock.now()
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise InvalidLink()
    return user


def send_verification(*, session: Session, user: User) -> None:
    """Email (again) the link that confirms the account's address."""
    if user.email_verified_at is not None:
        return
    raw = _issue_account_token(session, user, AccountTokenPurpose.VERIFY_EMAIL, VERIFY_LIFETIME)
    notifications_service.email_verification(session=session, user=user, token=raw)


def verify_email(*, session: Session, token: str) -> User:
    """Confirm the address the link was sent to."""
    user = _consume_account_token(session, token, AccountTokenPurpose.VERIFY_EMAIL)
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        audit_service.record(session=session, actor=user, action="user.verified",
                             entity_type="user", entity_id=user.id,
                             after={"email": user.email})
    return user


def request_password_reset(*, session: Session, email: str) -> None:
    """Email a reset link if the account exists; say nothing either way (no enumeration)."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active:
        return
    raw = _issue_account_token(session, user, AccountTokenPurpose.RESET_PASSWORD, RESET_LIFETIME)
    notifications_service.password_reset(session=session, user=user, token=raw)


def reset_password(*, session: Session, token: str, password: str) -> User:
    """Set a new password through an emailed link; every existing session is ended."""
    user = _consume_account_token(session, token, AccountTokenPurpose.RESET_PASSWORD)
    _validate_account(user.email, password, user.name)
    user.password_hash = _hasher().hash(password)
    # Whoever else held a session or token (the reason for a reset, often) is signed out.
    for credential in session.scalars(select(AuthToken).where(AuthToken.user_id == user.id,
                                                              AuthToken.revoked_at.is_(None))):
        credential.revoked_at = clock.now()
    # The link reached the mailbox, so the address is proven too.
    user.email_verified_at = user.email_verified_at or clock.now()
    audit_service.record(session=session, actor=user, action="user.password_reset",
                         entity_type="user", entity_id=user.id)
    return user


def update_profile(*, session: Session, user: User, name: str,
                   affiliation: str | None) -> User:
    """Change the name and the optional organisation shown with one's comments."""
    name = (name or "").strip()
    affiliation = (affiliation or "").strip() or None
    if not name or len(name) > 200:
        raise InvalidInput("Please enter your name (up to 200 characters).")
    if affiliation and len(affiliation) > 300:
        raise InvalidInput("The organisation name is too long ({n} characters at most).", n=300)
    before = {"name": user.name, "affiliation": user.affiliation}
    user.name, user.affiliation = name, affiliation
    audit_service.record(session=session, actor=user, action="user.profile_updated",
                         entity_type="user", entity_id=user.id, before=before,
                         after={"name": name, "affiliation": affiliation})
    return user


def authenticate(*, session: Session, email: str, password: str) -> User:
    """The active account with this email and password, or InvalidCredentials."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials() from None
    if user is None or not user.is_active:
        raise InvalidCredentials()
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    return user


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(*, session: Session, user: User, kind: TokenKind) -> str:
    """A new random credential for ``user``; only its hash is stored."""
    settings = get_settings()
    raw = secrets.token_urlsafe(32)
    days = settings.session_days if kind is TokenKind.SESSION else settings.token_days
    session.add(AuthToken(token_hash=_token_hash(raw), kind=kind, user_id=user.id,
                          expires_at=clock.now() + timedelta(days=days)))
    session.flush()
    return raw


def resolve_token(*, session: Session, raw: str, kind: TokenKind) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to."""
    return resolve_tokens(session=session, presented=[(raw, kind)])[0]


def resolve_tokens(*, session: Session,
                   presented: list[tuple[str, TokenKind]]) -> list[User | None]:
    """``resolve_token`` for several tokens in one query (a batch of comments), in order."""
    hashes = {raw: _token_hash(raw) for raw, _kind in presented}
    # The tokens' columns and their users as objects: a mapped token each was a tenth of a
    # batched surge's CPU (issue 9), and nothing here changes a token.
    tokens = {row.token_hash: row for row in session.execute(
        _TOKENS_WITH_USERS, {"hashes": sorted(set(hashes.values()))})}
    now = clock.now()
    users: list[User | None] = []
    for raw, kind in presented:
        token = tokens.get(hashes[raw])
        usable = (token is not None and token.kind is kind and token.revoked_at is None
                  and token.expires_at > now and token.User.is_active)
        users.append(token.User if usable and token is not None else None)
    return users


_TOKENS_WITH_USERS = (
    select(AuthToken.token_hash, AuthToken.kind, AuthToken.revoked_at, AuthToken.expires_at,
           User)
    .join(User, User.id == AuthToken.user_id)
    .where(AuthToken.token_hash.in_(bindparam("hashes", expanding=True))))


def revoke_token(*, session: Session, raw: str) -> None:
    """End a session (sign-out); unknown tokens are ignored."""
    token = session.scalar(select(AuthToken).where(AuthToken.token_hash == _token_hash(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = clock.now()


def csrf_token(seed: str) -> str:
    """The CSRF token that goes with the browser's CSRF cookie ``seed``."""
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, b"csrf:" + seed.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_valid(seed: str | None, token: str | None) -> bool:
    """Whether a submitted token matches the cookie (signed, so it cannot be forged)."""
    if not seed or not token:
        return False
    return hmac.compare_digest(csrf_token(seed), token)
