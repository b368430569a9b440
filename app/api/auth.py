from typing import Annotated

from fastapi import APIRouter, Form

from app.api.ratelimits import RegistrationLimit, SignInLimit
from app.db import DbSession
from app.models import TokenKind
from app.schemas.auth import RegisterRequest, TokenResponse, UserRead
from app.services import auth as auth_service

router = APIRouter(prefix="/auth", tags=["auth"])


def user_read(user) -> UserRead:  # noqa: ANN001
    return UserRead(id=user.id, email=user.email, name=user.name, role=user.role,
                    email_verified=user.email_verified_at is not None)


@router.post("/register", status_code=201, response_model=UserRead,
             dependencies=[RegistrationLimit])
def register(payload: RegisterRequest, session: DbSession) -> UserRead:
    """Create a citizen account."""
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
