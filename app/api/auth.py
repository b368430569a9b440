from typing import Annotated

from fastapi import APIRouter, Form
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser
from app.api.ratelimits import AccountEmailLimit, RegistrationLimit, SignInLimit
from app.db import DbSession
from app.models import TokenKind, User
from app.schemas.auth import RegisterRequest, TokenResponse, UserRead
from app.services import auth as auth_service

router = APIRouter(prefix="/auth", tags=["auth"])


def user_read(user: User) -> UserRead:
    return UserRead(id=user.id, email=user.email, name=user.name, role=user.role,
                    email_verified=user.email_verified_at is not None,
                    affiliation=user.affiliation, language=user.language)


class TokenBody(BaseModel):
    token: str = Field(max_length=200)


class EmailBody(BaseModel):
    email: str = Field(max_length=254)


class NewPassword(BaseModel):
    token: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class Accepted(BaseModel):
    detail: str


@router.post("/register", status_code=201, response_model=UserRead,
             dependencies=[RegistrationLimit])
def register(payload: RegisterRequest, session: DbSession) -> UserRead:
    """Create a citizen account; a link to confirm the address is emailed."""
    user = auth_service.register(session=session, email=payload.email,
                                 password=payload.password, name=payload.name)
    return user_read(user)


@router.post("/token", response_model=TokenResponse, dependencies=[SignInLimit])
def token(session: DbSession, username: Annotated[str, Form(max_length=254)],
          password: Annotated[str, Form(max_length=1024)]) -> TokenResponse:
    """A bearer token for scripts (OAuth2 password form: username is the email)."""
    user = auth_service.authenticate(session=session, email=username, password=password)
    raw = auth_service.issue_token(session=session, user=user, kind=TokenKind.BEARER)
    return TokenResponse(access_token=raw)


@router.post("/verify", response_model=UserRead)
def verify(payload: TokenBody, session: DbSession) -> UserRead:
    """Confirm an email address with the token from the emailed link."""
    return user_read(auth_service.verify_email(session=session, token=payload.token))


@router.post("/verification", status_code=202, response_model=Accepted,
             dependencies=[AccountEmailLimit])
def resend_verification(user: CurrentUser, session: DbSession) -> Accepted:
    """Email the confirmation link again."""
    auth_service.send_verification(session=session, user=user)
    return Accepted(detail="queued")


@router.post("/password-reset", status_code=202, response_model=Accepted,
             dependencies=[AccountEmailLimit])
def request_password_reset(payload: EmailBody, session: DbSession) -> Accepted:
    """Email a reset link if the account exists (the answer is the same either way)."""
    auth_service.request_password_reset(session=session, email=payload.email)
    return Accepted(detail="queued")


@router.post("/password-reset/confirm", response_model=UserRead)
def confirm_password_reset(payload: NewPassword, session: DbSession) -> UserRead:
    """Set a new password with the token from the emailed link; other sessions end."""
    return user_read(auth_service.reset_password(session=session, token=payload.token,
                                                 password=payload.password))
