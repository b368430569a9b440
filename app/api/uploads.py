"""Reading a draft's text from a JSON body or from a multipart upload."""

from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from app.errors import InvalidInput, PayloadTooLarge, TalkuuError
from app.services import importing as importing_service
from app.services.importing import ImportResult, UnsupportedDocument
from app.schemas.draft import DraftTextIn

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UnsupportedFileType(TalkuuError):
    status_code = 415
    code = "unsupported_file_type"
    message = ("This kind of file cannot be read; upload a Word document (.docx), a web page "
               "saved from Word (.html) or a text file (.txt).")


class UnreadableFile(TalkuuError):
    status_code = 422
    code = "unreadable_file"
    message = "The file could not be read: it is damaged or in an unknown encoding."


class EmptyFile(TalkuuError):
    status_code = 422
    code = "empty_file"
    message = "The file contains no text."


_IMPORT_ERRORS = {"unsupported": UnsupportedFileType, "unreadable": UnreadableFile,
                  "empty": EmptyFile}


def import_upload(raw: bytes, filename: str, language: str | None) -> ImportResult:
    """A drafter's file read into a clause tree, or the error to show them."""
    try:
        return importing_service.import_document(raw, filename, language=language)
    except UnsupportedDocument as error:
        raise _IMPORT_ERRORS.get(error.reason, UnsupportedFileType)() from None


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
            language = data.get("language") or None
            if language not in (None, "ru", "ky"):
                raise InvalidInput("The language of the file must be ru or ky.")
            result = import_upload(raw, name, language)
            language = language or result.report.language or "ru"
            data["text"] = {language: result.text}
            data["documents"] = {language: result.document}
            data["import_report"] = result.report
        else:
            data["text"] = {code: data.pop(f"text_{code}") for code in ("ru", "ky")
                            if data.get(f"text_{code}")}
        return data
    return await json_object(request)


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
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


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inlined(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        return {k: _inlined(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    return schema


def text_request_body(model: type[BaseModel], form_fields: dict[str, Any]) -> dict[str, Any]:
    """The request body of a route that reads JSON or a multipart form itself (read_payload),
    for /openapi.json: ``model`` as JSON, or its plain fields with ``text_ru``/``text_ky`` or
    an uploaded ``file`` in its ``language`` (the models' own schemas, their $defs inlined)."""
    schema = model.model_json_schema()
    form = {"type": "object", "properties": {
        **form_fields, "text_ru": {"type": "string"}, "text_ky": {"type": "string"},
        "file": {"type": "string", "format": "binary"},
        "language": {"type": "string", "enum": ["ru", "ky"]}}}
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": _inlined(schema, schema.get("$defs", {}))},
        "multipart/form-data": {"schema": form}}}}
