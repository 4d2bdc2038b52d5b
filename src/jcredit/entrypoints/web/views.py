"""Web pages. They call the same bus and queries as the API; errors are shown on the page."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi import Form
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.responses import RedirectResponse
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from jcredit.adapters.pdf.notices import render_notice_pdf
from jcredit.bootstrap import Registry
from jcredit.bootstrap import actor_for
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import TooManyAttemptsError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.ledger.breakdown import STATES
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.uses import USE_RULES
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.entrypoints.api.routes.auth import client_address
from jcredit.entrypoints.api.routes.auth import login as check_login
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.params import ApplicationId
from jcredit.entrypoints.web.i18n import LANGUAGES
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import error_summary
from jcredit.entrypoints.web.i18n import install_filters
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.i18n import language_of
from jcredit.entrypoints.web.i18n import translator
from jcredit.service_layer import commands as c
from jcredit.service_layer import issuance_queries
from jcredit.service_layer import queries
from jcredit.service_layer.actors import ACCOUNT_HOLDER_ROLES
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.handlers.invalidations import JST
from jcredit.service_layer.unit_of_work import User

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")
install_filters(templates.env)


class LoginRequired(Exception):
    pass


_UNKNOWN = object()


def _registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def current_user(request: Request) -> User | None:
    """The user of the request's server-side session (looked up once per request)."""
    found = getattr(request.state, "jcredit_user", _UNKNOWN)
    if found is _UNKNOWN:
        session_id = request.session.get("sid")
        found = _registry(request).user_for_session(str(session_id)) if session_id else None
        request.state.jcredit_user = found
    return found if isinstance(found, User) else None


def _actor(request: Request) -> Actor:
    user = current_user(request)
    if user is None:
        raise LoginRequired
    return actor_for(user)


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def _check_csrf(request: Request, token: str) -> None:
    if not token or not secrets.compare_digest(token, str(request.session.get("csrf", ""))):
        raise PermissionDeniedError("the form expired; reload the page and try again")


def request_language(request: Request) -> str:
    return language_of(request.cookies.get("lang"))


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = request_language(request)
    user = current_user(request)
    t = translator(lang)
    base = {
        "request": request,
        "t": t,
        "_": t,
        "gettext": t,
        "label": labeller(lang),
        "lang": lang,
        "user": user,
        "csrf": _csrf(request),
        "idem": uuid.uuid4().hex,
        "offset_purposes": list(OffsetPurpose),
        "flash": request.session.pop("flash", None),
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status_code=status, status=status, message=message)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _error_text(error: DomainError, request: Request | None = None) -> str:
    """The error for a page: a summary in the reader's language, then the details (which
    name the field and, where there is a closed list, what is valid)."""
    lang = request_language(request) if request is not None else "ja"
    field = f" [{error.field}]" if error.field else ""
    valid = f" (valid: {', '.join(error.valid)})" if error.valid else ""
    return f"{error_summary(error.code, lang)}{field}: {error.message}{valid}"


@router.get("/")
def home(request: Request) -> Response:
    return _redirect("/accounts" if current_user(request) else "/login")


def same_origin_path(request: Request, url: str | None) -> str:
    """The path (and query) of ``url`` when it points into this site, else ``/``: a
    redirect never leaves the site (no open redirect through a forged Referer)."""
    if not url:
        return "/"
    parts = urlsplit(url)
    if parts.netloc and (parts.netloc != request.url.netloc
                         or parts.scheme not in ("http", "https")):
        return "/"
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith(("//", "/\\")) or "\\" in path:
        return "/"
    return f"{path}?{parts.query}" if parts.query else path


@router.get("/lang/{lang}")
def set_language(lang: str, request: Request) -> Response:
    response = _redirect(same_origin_path(request, request.headers.get("referer")))
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""),
          csrf: str = Form("")) -> Response:
    try:
        _check_csrf(request, csrf)
        user = check_login(_registry(request), username, password, client_address(request))
    except TooManyAttemptsError as error:
        page = render(request, "login.html", status_code=429, error=N_("login_throttled"),
                      username=username)
        page.headers["Retry-After"] = str(error.retry_after)
        return page
    except DomainError:
        return render(request, "login.html", status_code=401, error=N_("login_failed"),
                      username=username)
    request.session.clear()  # a new session id and CSRF token: no session fixation
    request.session["sid"] = _registry(request).open_session(user)
    return _redirect("/accounts")


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    """Logging out needs the form's token too: another site must not end a session."""
    _check_csrf(request, csrf)
    session_id = request.session.get("sid")
    if session_id:
        _registry(request).end_session(str(session_id))  # a copied cookie ends too
    request.session.clear()
    return _redirect("/login")


@router.get("/accounts", response_class=HTMLResponse)
def accounts(request: Request) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = queries.accounts_for(uow, actor)
        pending = queries.applications(uow, actor, status=ApplicationStatus.PENDING)
    return render(request, "accounts.html", accounts=data, pending=pending)


def _account_page(request: Request, number: str, status_code: int = 200, **extra: Any
                  ) -> HTMLResponse:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        account = queries.account_detail(uow, actor, number)
    can_act = actor.role is Role.ADMIN or (
        actor.role in ACCOUNT_HOLDER_ROLES and account["organisation_id"] == actor.organisation_id)
    by_category: dict[str, int] = {}
    for block in account["blocks"]:
        by_category[block["category"]] = by_category.get(block["category"], 0) + block["quantity"]
    today = _registry(request).clock().astimezone(JST).date()
    return render(request, "account.html", status_code=status_code, account=account,
                  can_act=can_act and account["kind"] == "HOLDING", by_category=by_category,
                  uses=list(USE_RULES), fiscal_year=fiscal_year_of(today), **extra)


@router.get("/accounts/{number}", response_class=HTMLResponse)
def account_page(request: Request, number: str) -> Response:
    return _account_page(request, number)


@router.post("/accounts/{number}/transfer")
def transfer(request: Request, number: str, to_account: str = Form(""),
             designation: str = Form("quantity"), quantity: str = Form(""),
             serials: str = Form(""), csrf: str = Form(""), idem: str = Form("")) -> Response:
    actor = _actor(request)
    command = c.TransferCredits(
        from_account=number, to_account=to_account,
        quantity=quantity if designation == "quantity" else None,
        serials=serials if designation == "serials" else None)
    try:
        _check_csrf(request, csrf)
        result = _registry(request).bus.handle(command, actor=actor, idempotency_key=idem or None)
    except DomainError as error:
        return _account_page(request, number, status_code=classify(error)[0],
                             transfer_error=_error_text(error, request), form=command)
    data = result.data
    request.session["flash"] = (f"{data['quantity']} t-CO2: {data['from_account']} → "
                                f"{data['to_account']}")
    return _redirect(f"/accounts/{number}")


def _invalidation_command(number: str, form: dict[str, str]) -> c.ApplyInvalidation:
    by_serials = form.get("designation") == "serials"
    return c.ApplyInvalidation(
        from_account=number,
        quantity=None if by_serials else form.get("quantity", ""),
        serials=form.get("serials", "") if by_serials else None,
        use=form.get("use", ""),
        offset_purpose=form.get("offset_purpose") or None,
        purpose_details=form.get("purpose_details", ""),
        credit_user_name=form.get("credit_user_name", ""),
        credit_user_corporate_number=form.get("credit_user_corporate_number") or None,
        fiscal_year=form.get("fiscal_year", ""),
    )


@router.post("/accounts/{number}/invalidate/review", response_class=HTMLResponse)
async def invalidation_review(request: Request, number: str) -> Response:
    """Step 1: a dry run shows exactly which serials would be reserved."""
    actor = _actor(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    command = _invalidation_command(number, form)
    try:
        _check_csrf(request, form.get("csrf", ""))
        preview = _registry(request).bus.preview(command, actor=actor)
    except DomainError as error:
        return _account_page(request, number, status_code=classify(error)[0],
                             invalidation_error=_error_text(error, request), inv_form=form)
    return render(request, "invalidation_confirm.html", form=form, preview=preview,
                  number=number)


@router.post("/accounts/{number}/invalidate")
async def invalidation_apply(request: Request, number: str) -> Response:
    """Step 2: the applicant confirmed; file the application."""
    actor = _actor(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    command = _invalidation_command(number, form)
    try:
        _check_csrf(request, form.get("csrf", ""))
        if form.get("confirm") != "yes":
            raise PermissionDeniedError("tick the confirmation box to apply")
        result = _registry(request).bus.handle(command, actor=actor,
                                               idempotency_key=form.get("idem") or None)
    except DomainError as error:
        return _account_page(request, number, status_code=classify(error)[0],
                             invalidation_error=_error_text(error, request), inv_form=form)
    request.session["flash"] = N_("application_filed")
    return _redirect(f"/invalidations/{result.data['id']}")


@router.get("/invalidations", response_class=HTMLResponse)
def invalidations(request: Request, status: str = "") -> Response:
    actor = _actor(request)
    wanted = ApplicationStatus(status) if status in ApplicationStatus.__members__ else None
    with _registry(request).uow(write=False) as uow:
        data = queries.applications(uow, actor, status=wanted)
    return render(request, "invalidations.html", applications=data, status=status)


@router.get("/invalidations/{application_id}", response_class=HTMLResponse)
def invalidation(request: Request, application_id: ApplicationId) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = queries.application_detail(uow, actor, application_id)
    return render(request, "invalidation.html", app=data)


@router.post("/invalidations/execute")
async def execute(request: Request) -> Response:
    actor = _actor(request)
    form = await request.form()
    ids = tuple(int(str(v)) for v in form.getlist("application_id") if str(v).isdigit())
    try:
        _check_csrf(request, str(form.get("csrf", "")))
        result = _registry(request).bus.handle(
            c.ExecuteInvalidations(application_ids=ids, confirm=form.get("confirm") == "yes"),
            actor=actor, idempotency_key=str(form.get("idem") or "") or None)
    except DomainError as error:
        with _registry(request).uow(write=False) as uow:
            data = queries.applications(uow, actor, status=None)
        return render(request, "invalidations.html", status_code=classify(error)[0],
                      applications=data, status="", error=_error_text(error, request))
    executed = result.data["executed"]
    request.session["flash"] = N_("executed_ok")
    if len(executed) == 1:
        return _redirect(f"/invalidations/{executed[0]['id']}")
    return _redirect("/invalidations")


@router.post("/invalidations/{application_id}/withdraw")
def withdraw(request: Request, application_id: ApplicationId, csrf: str = Form(""),
             idem: str = Form("")) -> Response:
    actor = _actor(request)
    try:
        _check_csrf(request, csrf)
        _registry(request).bus.handle(c.WithdrawInvalidation(application_id=application_id),
                                      actor=actor, idempotency_key=idem or None)
    except DomainError as error:
        request.session["flash"] = _error_text(error, request)
    return _redirect(f"/invalidations/{application_id}")


@router.get("/invalidations/{application_id}/notice", response_class=HTMLResponse)
def notice_html(request: Request, application_id: ApplicationId) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = queries.notice(uow, actor, application_id)
    return render(request, "notice.html", notice=data, app=data["application"])


@router.get("/invalidations/{application_id}/notice.pdf")
def notice_pdf(request: Request, application_id: ApplicationId) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = queries.notice(uow, actor, application_id)
    return Response(render_notice_pdf(data), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{data["notice_number"]}.pdf"'})


@router.get("/issuances", response_class=HTMLResponse)
def issuances(request: Request) -> Response:
    """Each issuance's tonnes per state: 保有・予約中・無効化済・償却済・取消済."""
    with _registry(request).uow(write=False) as uow:
        data = issuance_queries.issuances_for(uow, _actor(request))
    return render(request, "issuances.html", issuances=data, states=STATES, single=False)


@router.get("/issuances/{issuance_id}", response_class=HTMLResponse)
def issuance(request: Request, issuance_id: int) -> Response:
    with _registry(request).uow(write=False) as uow:
        data = issuance_queries.issuance_detail(uow, _actor(request), issuance_id)
    return render(request, "issuances.html", issuances=data, states=STATES, single=True)
