"""The web application: the API under /api/v1 and the web UI at /, one process."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi import FastAPI
from fastapi import Request
from fastapi.responses import FileResponse
from fastapi.responses import HTMLResponse
from fastapi.responses import RedirectResponse
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from jcredit.bootstrap import Registry
from jcredit.bootstrap import bootstrap
from jcredit.config import Settings
from jcredit.entrypoints.api.errors import install_error_handlers
from jcredit.entrypoints.api.limits import BodySizeLimit
from jcredit.entrypoints.api.openapi import install_openapi
from jcredit.entrypoints.api.routes import auth
from jcredit.entrypoints.api.routes import cases
from jcredit.entrypoints.api.routes import commands
from jcredit.entrypoints.api.routes import dmrv
from jcredit.entrypoints.api.routes import dmrv_ingest
from jcredit.entrypoints.api.routes import offsets
from jcredit.entrypoints.api.routes import projects
from jcredit.entrypoints.api.routes import public
from jcredit.entrypoints.api.routes import reads
from jcredit.entrypoints.security_headers import SecurityHeadersMiddleware

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

API_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>jcredit API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>
"""


def create_app(settings: Settings | None = None, *, registry: Registry | None = None) -> FastAPI:
    settings = settings or Settings()
    registry = registry or bootstrap(settings)
    app = FastAPI(
        title="jcredit API",
        summary="J-クレジット registry: accounts, issuance, transfer, invalidation",
        version="0.1.0",
        docs_url=None,  # served below from the vendored Swagger UI (no CDN at run time)
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    app.state.registry = registry
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="jcredit_session", same_site="lax",
                       max_age=settings.session_absolute_hours * 3600,
                       https_only=settings.environment == "production")
    app.add_middleware(BodySizeLimit)
    # Added last, so outermost: a 413 from the body limit carries the headers too.
    app.add_middleware(SecurityHeadersMiddleware,
                       hsts=settings.environment == "production")
    from jcredit.entrypoints.web.views import LoginRequired
    from jcredit.entrypoints.web.views import error_page

    install_error_handlers(app, html=error_page)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)
    api = APIRouter(prefix="/api/v1")
    api.include_router(auth.router)
    api.include_router(commands.router)
    api.include_router(reads.router)
    api.include_router(projects.router)
    api.include_router(dmrv.router)
    api.include_router(dmrv_ingest.router)
    api.include_router(offsets.router)
    api.include_router(public.router)
    api.include_router(cases.router)
    app.include_router(api)

    from jcredit.entrypoints.web.case_views import router as case_router
    from jcredit.entrypoints.web.dmrv_views import router as dmrv_router
    from jcredit.entrypoints.web.document_views import router as document_router
    from jcredit.entrypoints.web.history_views import router as history_router
    from jcredit.entrypoints.web.offset_views import router as offset_router
    from jcredit.entrypoints.web.project_views import router as project_router
    from jcredit.entrypoints.web.public_views import router as public_router
    from jcredit.entrypoints.web.views import router as web_router

    app.include_router(web_router)
    app.include_router(project_router)
    app.include_router(document_router)
    app.include_router(history_router)
    app.include_router(dmrv_router)
    app.include_router(offset_router)
    app.include_router(public_router)
    app.include_router(case_router)
    install_openapi(app)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(WEB_DIR / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(API_DOCS_PAGE)

    return app
