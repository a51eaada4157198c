"""The questionnaire catalogue over the API, and how stored versions follow the files."""

from pathlib import Path

from sqlalchemy import select

from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import load_dir
from app.questionnaires.models import QuestionnaireVersion
from app.responses.models import Response
from tests.factories import make_integration
from tests.questionnaires.test_loader import GOOD

PHI_ONLY = GOOD.replace("key: tiny", "key: phi-only").replace("title: Tiny", "title: PHI only\napplies_to:\n  data_categories_any: [phi]")


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)


def sync(db, folder: Path):
    report = questionnaire_service.sync_catalogue(db, load_dir(folder))
    db.commit()
    return report


def test_a_dropped_in_file_is_listed_and_readable(client, db, tmp_path):
    write(tmp_path, "tiny.v1.yaml", GOOD)
    write(tmp_path, "tiny.v2.yaml", GOOD.replace("version: 1", "version: 2").replace("title: Tiny", "title: Tiny 2"))
    assert sync(db, tmp_path).added == ["tiny v1", "tiny v2"]
    listed = client.get("/api/v1/questionnaires").json()["items"]
    tiny = next(item for item in listed if item["key"] == "tiny")
    assert (tiny["version"], tiny["title"], tiny["versions"], tiny["questions"]) == (2, "Tiny 2", [1, 2], 3)
    detail = client.get("/api/v1/questionnaires/tiny", params={"version": 1}).json()
    assert detail["version"] == 1
    assert detail["definition"]["sections"][0]["questions"][0]["gate"]["when"] == ["no"]
    missing = client.get("/api/v1/questionnaires/nothing-here")
    assert missing.status_code == 404 and "tiny" in missing.json()["detail"]


def test_which_questionnaires_apply_to_an_integration(client, db, tmp_path):
    write(tmp_path, "tiny.v1.yaml", GOOD)
    write(tmp_path, "phi-only.v1.yaml", PHI_ONLY)
    sync(db, tmp_path)
    plain = make_integration(db, data_categories=["business_contact"])
    health = make_integration(db, data_categories=["phi"])
    db.commit()

    def keys(integration):
        items = client.get(f"/api/v1/integrations/{integration.id}/questionnaires").json()["items"]
        return {item["key"] for item in items} & {"tiny", "phi-only"}

    assert keys(plain) == {"tiny"}
    assert keys(health) == {"tiny", "phi-only"}


def test_an_unused_version_follows_its_file_and_a_used_one_is_frozen(db, tmp_path):
    write(tmp_path, "tiny.v1.yaml", GOOD)
    sync(db, tmp_path)
    write(tmp_path, "tiny.v1.yaml", GOOD.replace("Is MFA enforced?", "Is MFA enforced for all staff?"))
    assert sync(db, tmp_path).updated == ["tiny v1"]
    row = db.execute(select(QuestionnaireVersion).where(QuestionnaireVersion.key == "tiny")).scalar_one()
    integration = make_integration(db)
    db.add(Response(integration_id=integration.id, questionnaire_version_id=row.id))
    db.commit()
    frozen_hash = row.content_hash
    write(tmp_path, "tiny.v1.yaml", GOOD.replace("Is MFA enforced?", "Changed after use?"))
    report = sync(db, tmp_path)
    assert report.updated == [] and "bump the version" in str(report.refused[0])
    db.refresh(row)
    assert row.content_hash == frozen_hash
