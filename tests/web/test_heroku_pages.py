"""The Heroku estate page and the CLI JSON import: upload, report, and a malformed file refused whole."""

from pathlib import Path

from sqlalchemy import func, select

from app.heroku.models import AddonInstallation, HerokuImport
from app.heroku.pages import IMPORT_PAGE_PATH
from tests.factories import make_user
from tests.web.helpers import PASSWORD, csrf_of, post_login

FIXTURES = Path(__file__).parent.parent / "heroku" / "fixtures"


def sign_in(db, client, role: str) -> None:
    user = make_user(db, role=role, password=PASSWORD)
    db.commit()
    assert post_login(client, user.email).status_code == 303


def imports(db) -> int:
    return db.scalar(select(func.count()).select_from(HerokuImport))


def upload(client, form, content: bytes, *, complete: bool = False):
    data = {"csrf_token": csrf_of(form)} | ({"complete": "true"} if complete else {})
    return client.post(IMPORT_PAGE_PATH, data=data, files={"file": ("export.json", content, "application/json")},
                       follow_redirects=False)


def test_an_upload_imports_the_file_and_shows_its_report_a_malformed_one_changes_nothing(db, anonymous):
    sign_in(db, anonymous, "procurement")
    estate = anonymous.get("/heroku")
    assert estate.status_code == 200 and "Import CLI JSON" in estate.text
    form = anonymous.get("/heroku/imports/new")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert "heroku addons --all --json" in form.text  # what "complete" means is explained
    refused = upload(anonymous, form, b'[{"id": "x",\n  "name": }]')
    assert refused.status_code == 422 and refused.template.name == "heroku/import_new.html"
    message = refused.context["errors"]["file"]
    assert message.startswith("The file was not imported, nothing changed") and "line 2" in message
    assert 'id="file-error"' in refused.text
    assert upload(anonymous, form, b"").status_code == 422
    assert imports(db) == 0
    posted = upload(anonymous, form, (FIXTURES / "addons-all.json").read_bytes(), complete=True)
    assert posted.status_code == 303, posted.text
    record = db.scalars(select(HerokuImport)).one()
    assert posted.headers["location"] == f"/heroku/imports/{record.id}" and record.complete
    report = anonymous.get(posted.headers["location"])
    assert report.status_code == 200 and report.template.name == "heroku/import_report.html"
    added = db.scalar(select(func.count()).select_from(AddonInstallation))
    assert record.counts["created"]["addons"] == added > 30 and f">{added}<" in report.text
    for skipped in record.skipped[:3]:
        assert skipped["reason"].replace("'", "&#39;").replace('"', "&#34;") in report.text
    shadow = anonymous.get("/heroku", params={"status": "shadow"})
    assert shadow.context["total"] == added and shadow.context["status"] == "shadow"
    assert "Request approval" not in shadow.text  # procurement does not request add-ons
    assert f'href="/heroku/imports/{record.id}"' in shadow.text
    assert anonymous.get("/heroku", params={"status": "approved"}).context["total"] == 0


def test_engineers_read_the_estate_but_cannot_import(db, anonymous):
    sign_in(db, anonymous, "engineer")
    assert anonymous.get("/heroku").status_code == 200
    assert anonymous.get("/heroku/imports/new").status_code == 403
    assert anonymous.get("/heroku", params={"status": "bogus"}).context["problems"]
