"""/open-data: the data dictionary of the bulk downloads, in the reader's language."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.services import opendata as opendata_service
from app.templating import render

router = APIRouter()


@router.get("/open-data")
def open_data(request: Request) -> Response:
    """Every dataset, its columns, and the links to download it."""
    return render(request, "opendata/index.html",
                  {"datasets": list(opendata_service.DATASETS.values())})
