"""Liveness with a real database round trip, for Heroku, Docker and load balancers."""

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.auth.deps import Public
from app.core.deps import SessionDep

router = APIRouter(tags=["health"])
log = logging.getLogger("riskreg.health")


class Health(BaseModel):
    status: str
    database: str
    version: str
    error: str | None = None
    detail: str | None = None


@router.get(
    "/healthz",
    dependencies=[Public],
    response_model_exclude_none=True,
    responses={503: {"model": Health, "description": "The database cannot be reached"}},
)
def healthz(session: SessionDep) -> Health:
    """`200` when the database answers a query, `503` otherwise."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        session.rollback()
        log.error("health check failed", extra={"error": type(exc).__name__})
        body = Health(status="error", database="unreachable", version=__version__, error="DatabaseUnavailable",
                      detail="The database did not answer a query; check DATABASE_URL and the server.")
        return JSONResponse(body.model_dump(), status_code=503)  # type: ignore[return-value]
    return Health(status="ok", database="ok", version=__version__)
