from pydantic import BaseModel, Field

from app.models import Role
from app.schemas.common import ReadModel


class RegisterRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    name: str = Field(max_length=200)


class UserRead(ReadModel):
    id: int
    email: str
    name: str
    role: Role
    email_verified: bool
    affiliation: str | None = None
    language: str = "ru"


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
