"""Web pages. They call the same bus and queries as the API; errors are shown on the page."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from collections.abc import Mapping
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
from jcredit.domain.ledger.corrections import CorrectionReason
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.uses import USE_RULES
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.entrypoints.api.routes.auth import client_address
from jcredit.entrypoints.api.routes.auth import login as check_login
from jcredit.entrypoints.downloads import pdf_response
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.params import ApplicationId
from jcredit.entrypoints.web.forms import FormState
from jcredit.entrypoints.web.forms import explain
from jcredit.entrypoints.web.forms import form_state
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
    label = labeller(lang)
    base = {
        "request": request,
        "t": t,
        "_": t,
        "gettext": t,
        "label": label,
        "choices": lambda kind, codes: [(str(getattr(code, "value", code)), label(kind, code))
                                        for code in codes],
        "lang": lang,
        "user": user,
        "csrf": _csrf(request),
        "idem": uuid.uuid4().hex,
        "offset_purposes": list(OffsetPurpose),
        "flash": request.session.pop("flash", None),
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)


# What a reader can do about an error page, by status (error.html).
ERROR_HELP = {401: N_("error_help_401"), 403: N_("error_help_403"), 404: N_("error_help_404"),
              405: N_("error_help_404"), 409: N_("error_help_409"), 422: N_("error_help_422"),
              429: N_("error_help_429")}
STATUS_CODES = {401: "not_authenticated", 403: "forbidden", 404: "not_found",
                405: "not_found", 409: "conflict", 422: "invalid_input",
                429: "too_many_attempts"}


def error_page(request: Request, status: int, error: DomainError | str) -> Response:
    """An error as a page: a summary and what to do in the reader's language, then the
    system's own detail (English, marked as such) for whoever needs the precise reason."""
    lang = request_language(request)
    code = error.code if isinstance(error, DomainError) else STATUS_CODES.get(status, "")
    detail = error.message if isinstance(error, DomainError) else error
    return render(request, "error.html", status_code=status, status=status,
                  summary=error_summary(code, lang), help=ERROR_HELP.get(status),
                  message=detail)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _error_text(error: DomainError, request: Request | None = None) -> str:
    """The error for a page in the reader's language: an explanation, then the details
    (which name the field and, where there is a closed list, what is valid)."""
    return explain(error, request_language(request) if request is not None else "ja")


def state_of(request: Request, form: str, values: Mapping[str, object],
             error: DomainError | None = None, *, fields: Iterable[str] = (),
             rename: Mapping[str, str] | None = None) -> FormState:
    """The form's typed values and its errors, placed at the form's fields (forms.py)."""
    return form_state(form, values, error, lang=request_language(request), fields=fields,
                      rename=rename)


def flash(request: Request, key: str, href: str | None = None, *,
          labels: dict[str, tuple[str, str]] | None = None, **args: object) -> None:
    """The message the next page shows: a catalog key formatted with ``args`` and with the
    names of the codes in ``labels`` (argument → (label kind, code)), in the reader's
    language when shown, and a link."""
    request.session["flash"] = {"text": key, "args": {k: str(v) for k, v in args.items()},
                                "labels": {k: list(v) for k, v in (labels or {}).items()},
                                "href": href}


# Each role's home is its work (issue 12 item 10): where "/" and the login lead.
ROLE_HOMES = {
    Role.HOLDER: "/accounts",  # its accounts
    Role.IMPLEMENTER: "/projects",  # its projects and what they wait for
    Role.OPERATOR: "/projects",
    Role.VERIFIER: "/queue",  # projects awaiting validation or verification
    Role.COMMITTEE: "/agenda",  # registrations and certifications to decide
    Role.ADMIN: "/queue",  # invalidations to execute, registrations, issuance
    Role.AUDITOR: "/journal",  # the journal and the ledger check
}


# The line under "my work", by role (queue.html picks it by the reader's role).
WORK_INTROS = (N_("my_work_intro_ADMIN"), N_("my_work_intro_VERIFIER"),
               N_("my_work_intro_COMMITTEE"), N_("my_work_intro_HOLDER"),
               N_("my_work_intro_IMPLEMENTER"), N_("my_work_intro_OPERATOR"),
               N_("my_work_intro_AUDITOR"))


def home_of(user: User) -> str:
    return ROLE_HOMES.get(Role(user.role), "/accounts")


@router.get("/")
def home(request: Request) -> Response:
    """A logged-in user goes to the work of its role; anyone else sees what this is."""
    user = current_user(request)
    if user is not None:
        return _redirect(home_of(user))
    return render(request, "landing.html")


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
                      form_state=state_of(request, "login", {"username": username}))
        page.headers["Retry-After"] = str(error.retry_after)
        return page
    except DomainError:
        return render(request, "login.html", status_code=401, error=N_("login_failed"),
                      form_state=state_of(request, "login", {"username": username}))
    request.session.clear()  # a new session id and CSRF token: no session fixation
    request.session["sid"] = _registry(request).open_session(user)
    return _redirect(home_of(user))


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
        notices = queries.account_notifications(uow, actor, number)
    own = (actor.role in ACCOUNT_HOLDER_ROLES
           and account["organisation_id"] == actor.organisation_id)
    by_category: dict[str, int] = {}
    for block in account["blocks"]:
        by_category[block["category"]] = by_category.get(block["category"], 0) + block["quantity"]
    today = _registry(request).clock().astimezone(JST).date()
    holding = account["kind"] == "HOLDING"
    return render(request, "account.html", status_code=status_code, account=account,
                  can_act=own and holding, can_correct=actor.role is Role.ADMIN and holding,
                  by_category=by_category, notices=notices, uses=list(USE_RULES),
                  fiscal_year=fiscal_year_of(today), reasons=list(CorrectionReason), **extra)


@router.get("/accounts/{number}", response_class=HTMLResponse)
def account_page(request: Request, number: str) -> Response:
    return _account_page(request, number)


TRANSFER_FIELDS = ("to_account", "designation", "quantity", "serials")
CORRECTION_FIELDS = (*TRANSFER_FIELDS, "reason_code", "reason", "confirm_account")


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _send_form(request: Request, command: c.Command, form: Mapping[str, str]
               ) -> dict[str, Any]:
    """The form's token checked, then its command run under the form's idempotency key."""
    actor = _actor(request)
    _check_csrf(request, form.get("csrf", ""))
    return _registry(request).bus.handle(command, actor=actor,
                                         idempotency_key=form.get("idem") or None).data


def _transfer_command(number: str, form: Mapping[str, str]) -> c.TransferCredits:
    by_serials = form.get("designation") == "serials"
    return c.TransferCredits(from_account=number, to_account=form.get("to_account", ""),
                             quantity=None if by_serials else form.get("quantity", ""),
                             serials=form.get("serials", "") if by_serials else None)


def _correction_command(number: str, form: Mapping[str, str]) -> c.CorrectHolding:
    moved = _transfer_command(number, form)
    return c.CorrectHolding(from_account=number, to_account=moved.to_account,
                            quantity=moved.quantity, serials=moved.serials,
                            reason_code=form.get("reason_code", ""),
                            reason=form.get("reason", ""),
                            confirm_account=form.get("confirm_account", ""))


def _refused(request: Request, number: str, form_name: str, form: Mapping[str, str],
             error: DomainError, fields: Iterable[str]) -> HTMLResponse:
    """The account page again, the form's values kept and the error at its field."""
    return _account_page(request, number, status_code=classify(error)[0],
                         form_state=state_of(request, form_name, form, error, fields=fields))


@router.post("/accounts/{number}/edit")
async def edit_again(request: Request, number: str) -> Response:
    """修正する on a confirmation page: the account page with the values typed before (the
    confirmation page posts them back; nothing is lost, nothing is written)."""
    form = await _form(request)
    name = form.pop("form", "")
    if name not in ("transfer", "invalidation", "correction"):
        name = "transfer"
    return _account_page(request, number, form_state=state_of(request, name, form))


def _review(request: Request, number: str, form: Mapping[str, str], kind: str,
            command: c.TransferCredits | c.CorrectHolding, fields: Iterable[str], *,
            state: FormState | None = None, status_code: int = 200) -> Response:
    """Step 1 of a move: a dry run names the recipient and the serials that would move
    (``state``: the confirmation step's own error, shown on the review page again)."""
    actor = _actor(request)
    try:
        _check_csrf(request, form.get("csrf", ""))
        preview = _registry(request).bus.preview(command, actor=actor)
        with _registry(request).uow(write=False) as uow:
            to = queries.recipient(uow, command.to_account)
            source = queries.recipient(uow, number)
    except DomainError as error:
        return _refused(request, number, kind, form, error, fields)
    return render(request, "transfer_confirm.html", status_code=status_code, form=form,
                  preview=preview, to=to, source=source, number=number, kind=kind,
                  form_state=state)


@router.post("/accounts/{number}/transfer/review", response_class=HTMLResponse)
async def transfer_review(request: Request, number: str) -> Response:
    form = await _form(request)
    return _review(request, number, form, "transfer", _transfer_command(number, form),
                   TRANSFER_FIELDS)


@router.post("/accounts/{number}/transfer")
async def transfer(request: Request, number: str) -> Response:
    """Step 2: the sender confirmed the review; the same idempotency key as the review page
    makes a resent confirmation move nothing twice. Without ``confirm`` it is a review."""
    form = await _form(request)
    if form.get("confirm") != "yes":
        return await transfer_review(request, number)
    try:
        data = _send_form(request, _transfer_command(number, form), form)
        with _registry(request).uow(write=False) as uow:
            to = queries.recipient(uow, data["to_account"])
    except DomainError as error:
        return _refused(request, number, "transfer", form, error, TRANSFER_FIELDS)
    flash(request, N_("transferred_ok"), f"/journal/{data['journal_seq']}",
          quantity=data["quantity"], organisation=to["organisation"],
          to_account=data["to_account"], seq=data["journal_seq"])
    return _redirect(f"/accounts/{number}")


@router.post("/accounts/{number}/correct/review", response_class=HTMLResponse)
async def correction_review(request: Request, number: str) -> Response:
    """The secretariat's registry correction, step 1: the review names the holder, the
    recipient, the serials and the reason; step 2 asks for the account number again."""
    form = await _form(request)
    return _review(request, number, form, "correction",
                   _correction_command(number, form | {"confirm_account": number}),
                   CORRECTION_FIELDS)


@router.post("/accounts/{number}/correct")
async def correct(request: Request, number: str) -> Response:
    form = await _form(request)
    try:
        data = _send_form(request, _correction_command(number, form), form)
    except DomainError as error:
        if error.field == "confirm_account":  # the second confirmation: stay on the review
            return _review(request, number, form, "correction",
                           _correction_command(number, form | {"confirm_account": number}),
                           CORRECTION_FIELDS, status_code=classify(error)[0],
                           state=state_of(request, "confirm", form, error,
                                          fields=("confirm_account",)))
        return _refused(request, number, "correction", form, error, CORRECTION_FIELDS)
    flash(request, N_("corrected_ok"), f"/journal/{data['journal_seq']}",
          quantity=data["quantity"], from_account=data["from_account"],
          to_account=data["to_account"], seq=data["journal_seq"])
    return _redirect(f"/accounts/{number}")


INVALIDATION_FIELDS = ("designation", "quantity", "serials", "use", "offset_purpose",
                       "purpose_details", "credit_user_name", "credit_user_corporate_number",
                       "fiscal_year", "publish")


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
        publish=form.get("publish") == "yes",
    )


@router.post("/accounts/{number}/invalidate/review", response_class=HTMLResponse)
async def invalidation_review(request: Request, number: str) -> Response:
    """Step 1: a dry run shows exactly which serials would be reserved."""
    actor = _actor(request)
    form = await _form(request)
    command = _invalidation_command(number, form)
    try:
        _check_csrf(request, form.get("csrf", ""))
        preview = _registry(request).bus.preview(command, actor=actor)
    except DomainError as error:
        return _refused(request, number, "invalidation", form, error, INVALIDATION_FIELDS)
    return render(request, "invalidation_confirm.html", form=form, preview=preview,
                  number=number)


@router.post("/accounts/{number}/invalidate")
async def invalidation_apply(request: Request, number: str) -> Response:
    """Step 2: the applicant confirmed; file the application."""
    form = await _form(request)
    try:
        if form.get("confirm") != "yes":
            raise PermissionDeniedError("tick the confirmation box to apply")
        data = _send_form(request, _invalidation_command(number, form), form)
    except DomainError as error:
        return _refused(request, number, "invalidation", form, error, INVALIDATION_FIELDS)
    request.session["flash"] = N_("application_filed")
    return _redirect(f"/invalidations/{data['id']}")


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
                      applications=data, status="",
                      form_state=state_of(request, "execute", {}, error))
    executed = result.data["executed"]
    skipped = result.data.get("skipped") or []
    flash(request, N_("executed_count"), count=len(executed),
          ids=", ".join(f"#{a['id']}" for a in executed) or "—", skipped=len(skipped))
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
    return pdf_response(render_notice_pdf(data), f"{data['notice_number']}_無効化通知書.pdf")


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
