"""Monitoring data is never silently misread (issue 12): the web form refuses every
ambiguous line with its line and column and saves nothing; a period shows which activities
have no data before it is submitted, and goes to its verifier with activities missing only
when the owner acknowledges them and says why (the list is journaled)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jcredit.bootstrap import Registry
from tests.e2e.support import demo_client
from tests.e2e.support import login
from tests.e2e.test_csv_imports import web_login

PROJECT = "JCP-000001"  # the demo programme: 12 households, period 1 under verification
AMBIGUOUS = "\n".join([
    "code,el_self_kwh",
    "HH-001,1,400",        # 2: a thousands separator splits the number
    'HH-002,"1,435"',      # 3: a separator inside quotes
    "HH-003,１４７０",      # 4: full-width digits
    "HH-004,",             # 5: blank
    "HH-005,-5",           # 6: negative
    "HH-006,1575",
    "HH-006,1575",         # 8: the same household twice
    "HH-999,100",          # 9: not an activity of the project
    "HH-007,1610,3",       # 10: too many cells
    "HH-008",              # 11: too few
    "HH-009,たくさん",      # 12: not a number (the methodology says so, in the same list)
]) + "\n"
EXPECTED = [
    ("2行目 3列目", "1400 と書いてください"),
    ("3行目 el_self_kwh 「1,435」", "桁区切り"),
    ("4行目 el_self_kwh 「１４７０」", "半角で 1470"),
    ("5行目 el_self_kwh", "空欄"),
    ("6行目 el_self_kwh 「-5」", "負"),
    ("8行目 code 「HH-006」", "7行目と同じ"),
    ("9行目 code 「HH-999」", "このプロジェクトの削減活動ではありません"),
    ("10行目 3列目", "見出しは 2 列"),
    ("11行目 el_self_kwh", "値が 1 個"),
    ("12行目 el_self_kwh 「たくさん」", "number"),
]


@pytest.fixture
def client(sqlite_registry: Registry) -> Iterator[TestClient]:
    with demo_client(sqlite_registry) as c:
        # the verifier returns period 1: the operator may send its data again
        response = c.post(f"/api/v1/projects/{PROJECT}/periods/1/actions",
                          headers=login(c, "shinsa") | {"Idempotency-Key": "ret-1"},
                          json={"action": "return", "comment": "データを確認してください"})
        assert response.status_code == 200, response.text
        yield c


def period_data(registry: Registry) -> dict[str, object]:
    with registry.uow(write=False) as uow:
        project = uow.projects.by_number(PROJECT)
        assert project is not None
        return dict(uow.projects.periods(project.id)[0].data)


def journal_length(registry: Registry) -> int:
    with registry.uow(write=False) as uow:
        return len(list(uow.journal.iterate()))


def listed(page: str, element_id: str) -> list[str]:
    block = page.split(f'id="{element_id}"')[1].split("</ul>")[0]
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", block)]


def test_every_ambiguous_line_is_refused_with_line_and_column_and_nothing_saved(
        client: TestClient, sqlite_registry: Registry) -> None:
    csrf = web_login(client)
    before, entries = period_data(sqlite_registry), journal_length(sqlite_registry)
    response = client.post(f"/projects/{PROJECT}/periods/1/data",
                           data={"csv_text": AMBIGUOUS, "csrf": csrf, "idem": "d1"})
    assert response.status_code == 422
    problems = listed(response.text, "period-1-data-problems")
    assert len(problems) == len(EXPECTED), problems
    for problem, (where, what) in zip(problems, EXPECTED, strict=True):
        assert problem.startswith(where) and what in problem, (problem, where, what)
    assert period_data(sqlite_registry) == before
    assert journal_length(sqlite_registry) == entries
    assert "HH-001,1,400" in html.unescape(response.text)  # what was typed is kept


def test_missing_activities_are_shown_and_must_be_acknowledged_with_a_reason(
        client: TestClient, sqlite_registry: Registry) -> None:
    csrf = web_login(client)
    ten = "code,el_self_kwh\n" + "".join(f"HH-{i:03d},{1400 + i}\n" for i in range(1, 11))
    response = client.post(f"/projects/{PROJECT}/periods/1/data", follow_redirects=False,
                           data={"csv_text": ten, "csrf": csrf, "idem": "d2"})
    assert response.status_code == 303, response.text
    page = client.get(f"/projects/{PROJECT}").text
    missing = page.split('id="period-1-missing"')[1].split("</div>")[0]
    assert "データのない削減活動: 2" in missing and "データあり 10 / 12" in missing
    assert "HH-011, HH-012" in missing
    assert 'id="period-1-acknowledge"' in page

    def resubmit(**extra: str) -> TestClient:
        return client.post(f"/projects/{PROJECT}/periods/1/action", follow_redirects=False,
                           data={"action": "resubmit", "csrf": csrf, "idem": f"r{len(extra)}",
                                 **extra})

    refused = resubmit()
    assert refused.status_code == 428  # confirmation required
    assert 'id="period-1-acknowledge-error"' in refused.text
    assert "HH-011, HH-012" in refused.text.split('id="period-1-acknowledge-error"')[1]
    no_reason = resubmit(acknowledge_missing="yes")
    assert no_reason.status_code == 422 and 'id="period-1-comment-error"' in no_reason.text
    done = resubmit(acknowledge_missing="yes", comment="HH-011, HH-012 は転居のため計測なし")
    assert done.status_code == 303, done.text
    with sqlite_registry.uow(write=False) as uow:
        entry = uow.journal.page(limit=1)[0]
    assert entry.command == "monitoring.transition"
    assert entry.payload["missing_activities"] == ["HH-011", "HH-012"]
    assert entry.payload["to_state"] == "VERIFICATION"
    # the verifier sees the list too, and it is in the monitoring report
    client.post("/logout", data={"csrf": csrf})
    web_login(client, "shinsa")
    page = client.get(f"/projects/{PROJECT}").text
    assert "HH-011, HH-012" in page.split('id="period-1-missing"')[1].split("</div>")[0]
    report = client.get(f"/projects/{PROJECT}/documents/MONITORING_REPORT?period=1")
    assert "HH-011, HH-012" in report.text.split('id="document-missing"')[1].split("</div>")[0]


def test_the_api_refuses_a_submission_with_missing_activities_unless_acknowledged(
        client: TestClient) -> None:
    headers = login(client, "taiyo")
    nine = {f"HH-{i:03d}": {"el_self_kwh": "1400"} for i in range(1, 10)}
    sent = client.post(f"/api/v1/projects/{PROJECT}/periods/1/data", json={"activities": nine},
                       headers=headers | {"Idempotency-Key": "a1"})
    assert sent.status_code == 200, sent.text
    refused = client.post(f"/api/v1/projects/{PROJECT}/periods/1/actions",
                          json={"action": "resubmit"},
                          headers=headers | {"Idempotency-Key": "a2"})
    assert refused.status_code == 428
    assert refused.json()["field"] == "acknowledge_missing"
    assert "HH-010, HH-011, HH-012" in refused.json()["detail"]
    accepted = client.post(f"/api/v1/projects/{PROJECT}/periods/1/actions",
                           json={"action": "resubmit", "acknowledge_missing": True,
                                 "comment": "3 世帯は計測器故障"},
                           headers=headers | {"Idempotency-Key": "a3"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["missing_activities"] == ["HH-010", "HH-011", "HH-012"]


def test_the_cli_acknowledges_missing_activities_with_a_reason(
        client: TestClient, sqlite_registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from jcredit.entrypoints.cli.app import app

    csrf = web_login(client)
    ten = "code,el_self_kwh\n" + "".join(f"HH-{i:03d},{1400 + i}\n" for i in range(1, 11))
    assert client.post(f"/projects/{PROJECT}/periods/1/data", follow_redirects=False,
                       data={"csv_text": ten, "csrf": csrf, "idem": "d3"}).status_code == 303
    monkeypatch.setenv("JCREDIT_DATABASE_URL", sqlite_registry.settings.database_url)
    monkeypatch.setenv("JCREDIT_DATA_DIR", str(sqlite_registry.settings.data_dir))
    monkeypatch.setenv("JCREDIT_ENVIRONMENT", "development")
    action = ["project", "period", "action", PROJECT, "1", "resubmit", "--as", "taiyo"]
    refused = CliRunner().invoke(app, action)
    assert refused.exit_code != 0 and "acknowledge" in refused.output
    done = CliRunner().invoke(app, [*action, "--acknowledge-missing", "--comment",
                                    "HH-011, HH-012 は転居のため計測なし", "--json"])
    assert done.exit_code == 0, done.output
    with sqlite_registry.uow(write=False) as uow:
        entry = uow.journal.page(limit=1)[0]
    assert entry.payload["missing_activities"] == ["HH-011", "HH-012"]
