"""The reports API: inline JSON, rendered files and their downloads, definitions, schedules;
owner / other user (404, nothing changed) / anonymous (401) on each."""

import datetime
import hashlib

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from conftest import authenticated_client
from reports import services
from reports.models import GeneratedReport, ReportDefinition, ReportSchedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what services hand to after-commit (the render task, inline in tests) on leaving the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def published(monkeypatch):
    events = []
    monkeypatch.setattr(services, "publish", lambda user_id, event_type, data: events.append((str(user_id), event_type, data)))
    return events


def test_json_answers_200_with_the_table(auth_client, user, ledger):
    response = auth_client.post("/api/v1/reports/", {
        "name": "Spending", "filters": {"since": "2024-02-01", "until": "2024-02-29"},
        "group_by": ["category"], "metrics": ["expenses", "count", "average"], "format": "json",
    }, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"since": "2024-02-01", "until": "2024-02-29"}
    assert body["currency"] == "USD"
    assert body["columns"] == ["category", "expenses", "count", "average"]
    assert body["rows"] == [
        {"category": "dining", "expenses": "60.00", "count": 1, "average": "-60.00"},
        {"category": "donations", "expenses": "100.00", "count": 1, "average": "-100.00"},
        {"category": "groceries", "expenses": "19.75", "count": 2, "average": "-4.88"},
    ]
    assert body["totals"] == {"expenses": "179.75", "count": 4, "average": "-42.44"}
    assert not GeneratedReport.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"group_by": ["month", "category", "year"]}, "group_by"),
    ({"metrics": ["mode"]}, "metrics.0"),
    ({"format": "docx"}, "format"),
    ({"filters": {"since": "not-a-date"}}, "filters.since"),
    ({"filters": {"category": "a\x00b"}}, "filters.category"),
])
def test_bad_input_is_a_400_in_the_error_shape(auth_client, ledger, body, field):
    response = auth_client.post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json()["errors"]


def test_a_file_format_answers_202_renders_and_downloads(commit, auth_client, user, other_user, ledger, published):
    with commit():
        response = auth_client.post("/api/v1/reports/", {
            "name": "Q1 / ü <statement>", "group_by": ["month"], "metrics": ["net"], "format": "csv",
        }, format="json")
    assert response.status_code == 202, response.content
    accepted = response.json()
    report = GeneratedReport.objects.get(pk=accepted["id"])
    # Tasks run inline in tests: the worker's task already ran after commit.
    assert accepted["status"] == "pending" and accepted["format"] == "csv"
    detail = auth_client.get(f"/api/v1/reports/{report.id}/").json()
    assert detail["status"] == "completed"
    assert detail["download_url"] == f"/api/v1/reports/{report.id}/download/"
    download = auth_client.get(detail["download_url"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content == "\ufeffmonth,net\r\n2024-01,1919.75\r\n2024-02,-169.75\r\n2024-03,-12.40\r\nTotal,1737.60\r\n".encode()
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="q1-u-statement-{report.created_at:%Y-%m-%d}.csv"'
    assert detail["size"] == len(content) and detail["sha256"] == hashlib.sha256(content).hexdigest()
    assert published == [(str(user.id), "report_ready", {
        "id": str(report.id), "status": "completed", "format": "csv", "size": len(content),
        "download_url": f"/api/v1/reports/{report.id}/download/",
    })]
    listed = auth_client.get("/api/v1/reports/").json()
    assert [item["id"] for item in listed["results"]] == [str(report.id)]


@pytest.mark.parametrize(("report_format", "content_type", "magic"), [
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    ("pdf", "application/pdf", b"%PDF-"),
    ("iif", "application/x-iif", b"!ACCNT"),
    ("qbo", "application/vnd.intu.qbo", b"OFXHEADER:100"),
    ("qbo_csv", "text/csv; charset=utf-8", b"Date,Description,Amount"),
    ("txf", "application/x-txf", b"V042\r\n"),
    ("tax_csv", "text/csv; charset=utf-8", b"\xef\xbb\xbfTax line"),
    ("tax_pdf", "application/pdf", b"%PDF-"),
])
def test_every_file_format_downloads_with_its_content_type(commit, auth_client, ledger, report_format, content_type, magic):
    with commit():
        accepted = auth_client.post("/api/v1/reports/", {"format": report_format}, format="json").json()
    download = auth_client.get(f"/api/v1/reports/{accepted['id']}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == content_type
    assert b"".join(download.streaming_content).startswith(magic)


def test_a_failed_render_is_reported(commit, auth_client, user, ledger, published, monkeypatch):
    def explode(table):
        raise ValueError("boom")

    monkeypatch.setitem(services.RENDERERS, "pdf", services.RENDERERS["pdf"].__class__(explode, "application/pdf", "pdf"))
    with commit():
        accepted = auth_client.post("/api/v1/reports/", {"format": "pdf"}, format="json").json()
    detail = auth_client.get(f"/api/v1/reports/{accepted['id']}/").json()
    assert detail["status"] == "failed" and detail["error"] == "ValueError" and detail["download_url"] is None
    assert auth_client.get(f"/api/v1/reports/{accepted['id']}/download/").json()["code"] == "not_ready"
    assert published[-1][2]["status"] == "failed"


def test_rendering_twice_leaves_one_file(commit, user, ledger):
    with commit():
        report = services.report_request(user=user, spec=services.spec_clean({"format": "csv"}))
    report.refresh_from_db()
    assert report.status == "completed"
    assert services.report_render(report_id=report.id) is None  # already completed: nothing to do
    GeneratedReport.objects.filter(pk=report.pk).update(status="processing")  # a worker died mid-render
    services.report_render(report_id=report.id)
    report.refresh_from_db()
    assert report.status == "completed"
    assert default_storage.listdir(f"reports/{user.id}")[1] == [f"{report.id}.csv"]


def test_downloads_expire_and_the_nightly_cleanup_deletes_them(commit, auth_client, user, ledger, settings):
    with commit():
        accepted = auth_client.post("/api/v1/reports/", {"format": "csv"}, format="json").json()
        fresh = services.report_request(user=user, spec=services.spec_clean({"format": "csv"}))
    report = GeneratedReport.objects.get(pk=accepted["id"])
    assert report.expires_at - report.created_at == pytest.approx(datetime.timedelta(days=30), abs=datetime.timedelta(seconds=5))
    GeneratedReport.objects.filter(pk=report.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    gone = auth_client.get(f"/api/v1/reports/{report.id}/download/")
    assert gone.status_code == 410 and gone.json()["code"] == "expired"
    assert services.reports_expired_purge() == 1
    assert not default_storage.exists(report.file)
    assert auth_client.get(f"/api/v1/reports/{report.id}/").status_code == 404
    assert list(GeneratedReport.objects.values_list("id", flat=True)) == [fresh.id]
    assert default_storage.exists(GeneratedReport.objects.get().file)


def test_another_users_reports_are_404(commit, auth_client, user, other_user, ledger):
    with commit():
        theirs = services.report_request(user=other_user, spec=services.spec_clean({"format": "csv"}))
    for path in (f"/api/v1/reports/{theirs.id}/", f"/api/v1/reports/{theirs.id}/download/"):
        response = auth_client.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert auth_client.get("/api/v1/reports/").json()["results"] == []
    # Their JSON report is computed from their rows only.
    mine = auth_client.post("/api/v1/reports/", {"metrics": ["count"]}, format="json").json()
    assert mine["totals"] == {"count": 8}


def test_anonymous_is_401_everywhere(api_client, user):
    for method, path in (
        ("post", "/api/v1/reports/"), ("get", "/api/v1/reports/"), ("get", "/api/v1/reports/definitions/"),
        ("get", "/api/v1/reports/schedules/"), ("post", "/api/v1/reports/schedules/"),
    ):
        assert getattr(api_client, method)(path, {}, format="json").status_code == 401


def test_definitions_crud_and_rerun(auth_client, user, ledger):
    created = auth_client.post("/api/v1/reports/definitions/", {
        "name": "Groceries by month", "filters": {"category": "groceries"}, "group_by": ["month"],
        "metrics": ["expenses"], "format": "json",
    }, format="json")
    assert created.status_code == 201, created.content
    definition_id = created.json()["id"]
    assert created.json()["filters"] == {"category": "groceries"}
    run = auth_client.post(f"/api/v1/reports/definitions/{definition_id}/run/", {}, format="json")
    assert run.status_code == 200
    assert run.json()["rows"] == [{"month": "2024-01", "expenses": "80.25"}, {"month": "2024-02", "expenses": "19.75"}]
    narrowed = auth_client.post(
        f"/api/v1/reports/definitions/{definition_id}/run/", {"filters": {"since": "2024-02-01"}}, format="json"
    )
    assert narrowed.json()["rows"] == [{"month": "2024-02", "expenses": "19.75"}]
    as_file = auth_client.post(f"/api/v1/reports/definitions/{definition_id}/run/", {"format": "xlsx"}, format="json")
    assert as_file.status_code == 202
    assert GeneratedReport.objects.get(pk=as_file.json()["id"]).definition_id == ReportDefinition.objects.get().id
    patched = auth_client.patch(f"/api/v1/reports/definitions/{definition_id}/", {"group_by": ["year"]}, format="json")
    assert patched.status_code == 200 and patched.json()["group_by"] == ["year"]
    assert patched.json()["name"] == "Groceries by month"
    bad = auth_client.patch(f"/api/v1/reports/definitions/{definition_id}/", {"metrics": ["nope"]}, format="json")
    assert bad.status_code == 400
    assert auth_client.get("/api/v1/reports/definitions/").json()["count"] == 1
    assert auth_client.delete(f"/api/v1/reports/definitions/{definition_id}/").status_code == 204
    assert not ReportDefinition.objects.exists()


def test_another_users_definitions_are_404_and_unchanged(auth_client, other_user, ledger):
    theirs = ReportDefinition.objects.create(user=other_user, name="Theirs", group_by=["month"], metrics=["sum"])
    base = f"/api/v1/reports/definitions/{theirs.id}/"
    assert auth_client.get(base).status_code == 404
    assert auth_client.patch(base, {"name": "Mine now"}, format="json").status_code == 404
    assert auth_client.post(f"{base}run/", {}, format="json").status_code == 404
    assert auth_client.delete(base).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert auth_client.get("/api/v1/reports/definitions/").json()["results"] == []
    # Nor may a schedule of mine run their definition.
    response = auth_client.post(
        "/api/v1/reports/schedules/", {"kind": "custom", "definition": str(theirs.id)}, format="json"
    )
    assert response.status_code == 404
    assert not ReportSchedule.objects.exists()


def test_schedules_crud(auth_client, user):
    created = auth_client.post("/api/v1/reports/schedules/", {"kind": "weekly_summary"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["cadence"], body["format"], body["enabled"], body["last_run"]) == (
        "weekly_summary", "weekly", "pdf", True, None
    )
    next_run = datetime.datetime.fromisoformat(body["next_run"].replace("Z", "+00:00"))
    assert next_run > timezone.now() and next_run.weekday() == 0 and (next_run.hour, next_run.minute) == (8, 0)
    schedule_id = body["id"]
    paused = auth_client.patch(f"/api/v1/reports/schedules/{schedule_id}/", {"enabled": False, "format": "xlsx"}, format="json")
    assert paused.status_code == 200 and (paused.json()["enabled"], paused.json()["format"]) == (False, "xlsx")
    assert auth_client.post("/api/v1/reports/schedules/", {"kind": "monthly_report", "format": "json"}, format="json").status_code == 400
    assert auth_client.post("/api/v1/reports/schedules/", {"kind": "custom"}, format="json").status_code == 400
    monthly = auth_client.post("/api/v1/reports/schedules/", {"kind": "monthly_report"}, format="json").json()
    first = datetime.datetime.fromisoformat(monthly["next_run"].replace("Z", "+00:00"))
    assert (first.day, first.hour, first.minute) == (1, 0, 0)
    assert auth_client.get("/api/v1/reports/schedules/").json()["count"] == 2
    assert auth_client.delete(f"/api/v1/reports/schedules/{schedule_id}/").status_code == 204
    assert list(ReportSchedule.objects.values_list("kind", flat=True)) == ["monthly_report"]


def test_another_users_schedules_are_404_and_unchanged(auth_client, other_user):
    other = authenticated_client(other_user)
    theirs = other.post("/api/v1/reports/schedules/", {"kind": "weekly_summary"}, format="json").json()
    base = f"/api/v1/reports/schedules/{theirs['id']}/"
    assert auth_client.get(base).status_code == 404
    assert auth_client.patch(base, {"enabled": False}, format="json").status_code == 404
    assert auth_client.delete(base).status_code == 404
    assert ReportSchedule.objects.get().enabled is True
    assert auth_client.get("/api/v1/reports/schedules/").json()["results"] == []
