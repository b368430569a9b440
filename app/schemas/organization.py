from app.schemas.common import Multilingual, ReadModel


class OrganizationRead(ReadModel):
    slug: str
    name: Multilingual
