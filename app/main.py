"""The ASGI application: routers, middleware, error handlers."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError

from app import __version__
from app.assessments import api as assessments_api
from app.assessments import pages as assessments_pages
from app.assessments.jobs import MAX_RECORD_BYTES
from app.audit import pages as audit_pages
from app.audit.api import router as audit_router
from app.auth import api as auth_api
from app.auth import pages as account_pages
from app.core.config import get_settings
from app.core.deps import reject_unknown_query
from app.core.errors import install_error_handlers
from app.core.health import router as health_router
from app.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware, SecurityHeadersMiddleware
from app.dataflows import api as dataflows_api
from app.dataflows import pages as dataflows_pages
from app.documents import pages as documents_pages
from app.documents.api import UPLOAD_PATH
from app.documents.api import router as documents_router
from app.exports import api as exports_api
from app.heroku import api as heroku_api
from app.heroku import pages as heroku_pages
from app.heroku.jobs import MAX_IMPORT_BYTES
from app.integrations import pages as integrations_pages
from app.integrations.api import router as integrations_router
from app.questionnaires import jobs as questionnaire_jobs
from app.questionnaires.api import router as questionnaires_router
from app.reminders import api as reminders_api
from app.responses.api import router as responses_router
from app.responses.pages import router as respond_pages_router
from app.vendors import pages as vendors_pages
from app.vendors.api import router as vendors_router
from app.web import dashboard
from app.web.errors import install_page_errors
from app.web.pages import router as pages_router
from app.web.templating import STATIC_DIR

DESCRIPTION = """
A register of the third parties a company's data flows to: vendors, Heroku add-ons, SaaS tools and
APIs, the agreements behind them, and a score for each integration.

Every error is `{"error": "<Name>", "detail": "<what to fix>"}`. Lists return `items`, `total` and a
`next` cursor. A `GET` of one record returns an `ETag`; a `PATCH` must send it back in `If-Match`.
"""


# Every router of the app, in one list: the route × role walk in the tests reads it.
API_ROUTERS = [
    health_router,
    vendors_router,
    integrations_router,
    auth_api.users,
    auth_api.me,
    auth_api.tokens,
    audit_router,
    questionnaires_router,
    responses_router,
    documents_router,
    heroku_api.router,
    heroku_api.requests_router,
    assessments_api.router,
    reminders_api.router,
    reminders_api.feed_tokens,
    reminders_api.feed,  # /calendar.ics: its token is the credential (calendar clients send no header)
    dataflows_api.router,
    exports_api.router,
]
# HTML pages: kept out of the OpenAPI document and of API_ROUTERS (they sign in by cookie, not token); each
# page route declares `web_requires(permission)`, `WebUser` or `Public`, which the page-route test walks.
PAGE_ROUTERS = [
    pages_router,  # /login, /logout
    dashboard.router,
    vendors_pages.router,
    documents_pages.router,
    integrations_pages.router,
    heroku_pages.router,
    assessments_pages.router,
    audit_pages.router,
    account_pages.router,
    dataflows_pages.router,  # /data-flows and the downloads it links to
    respond_pages_router,  # the vendor's invite link (the link is the credential) and questionnaire filling
]
# Multipart framing and the form fields around the file: allowed on top of the file size limit.
UPLOAD_OVERHEAD = 256 * 1024


@asynccontextmanager
async def _load_questionnaires(app: FastAPI) -> AsyncIterator[None]:
    """At start-up, load questionnaires/ into the database (in a thread: it does file and database I/O)."""
    settings = get_settings()
    try:
        await anyio.to_thread.run_sync(questionnaire_jobs.load, settings.questionnaire_dir)
    except SQLAlchemyError:
        logging.getLogger("riskreg.questionnaires").exception("questionnaires not loaded: database unavailable")
    yield


def create_app(*, load_questionnaires: bool = True) -> FastAPI:
    """The application. Tests pass `load_questionnaires=False` and load into their own database."""
    settings = get_settings()
    app = FastAPI(
        lifespan=_load_questionnaires if load_questionnaires else None,
        title="riskreg",
        version=__version__,
        description=DESCRIPTION,
        # Swagger UI loads its script from a CDN, which the pages' CSP would otherwise forbid: development only.
        docs_url=None if settings.is_production else "/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    for router in API_ROUTERS:
        app.include_router(router, dependencies=[Depends(reject_unknown_query)])
    install_page_errors(app)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes,
        route_limits={UPLOAD_PATH: settings.max_upload_bytes + UPLOAD_OVERHEAD,
                      documents_pages.UPLOAD_PATH: settings.max_upload_bytes + UPLOAD_OVERHEAD,
                      heroku_api.IMPORT_PATH: MAX_IMPORT_BYTES + UPLOAD_OVERHEAD,
                      heroku_pages.IMPORT_PAGE_PATH: MAX_IMPORT_BYTES + UPLOAD_OVERHEAD,
                      assessments_api.VERIFY_PATH: MAX_RECORD_BYTES + UPLOAD_OVERHEAD,
                      assessments_pages.VERIFY_PAGE_PATH: MAX_RECORD_BYTES + UPLOAD_OVERHEAD},
    )
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.is_production)
    return app
