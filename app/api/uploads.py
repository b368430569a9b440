"""Reading a draft's text from a JSON body or from a multipart upload."""

from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.errors import InvalidInput, PayloadTooLarge, TalkuuError
from app.schemas.draft import DraftTextIn

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UnsupportedFileType(TalkuuError):
    status_code = 415
    code = "unsupported_file_type"
    message = "This kind of file cannot be read yet; upload a .txt file or paste the text."


def decode_text(raw: bytes) -> str:
    """Text from an uploaded plain-text file (UTF-8, or the Windows-1251 Word still writes)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1251")


async def read_payload(request: Request) -> dict[str, Any]:
    """The request's fields as a dict; an uploaded ``file`` becomes ``text[language]``."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
        data: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        if isinstance(upload, UploadFile):
            name = (upload.filename or "").lower()
            raw = await upload.read(MAX_UPLOAD_BYTES + 1)
            if len(raw) > MAX_UPLOAD_BYTES:
                raise PayloadTooLarge()
            if not name.endswith(".txt"):
                raise UnsupportedFileType()
            language = data.get("language", "ru")
            if language not in ("ru", "ky"):
                raise InvalidInput("The language of the file must be ru or ky.")
            data["text"] = {language: decode_text(raw)}
        else:
            data["text"] = {code: data.pop(f"text_{code}") for code in ("ru", "ky")
                            if data.get(f"text_{code}")}
        return data
    try:
        body = await request.json()
    except ValueError:
        raise InvalidInput("The request body must be JSON or a multipart form.") from None
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.")
    return body


def parse_text_field(value: Any) -> DraftTextIn:
    try:
        return DraftTextIn.model_validate(value)
    except ValidationError:
        raise InvalidInput("text must be an object {ru, ky} of plain text.") from None
