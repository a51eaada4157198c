"""Estate alerts (shadow add-ons, drift) are announced to security once per state, and the signing certificate's
expiry reaches the admins; both derived from the register as imports left it."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.heroku.models import AddonInstallation, AddonPlan, AddonService
from app.integrations.models import IntegrationStatus
from app.reminders import jobs
from tests.factories import make_integration, make_user, make_vendor
from tests.reminders.conftest import TODAY, job_settings
from tests.reminders.register import make_shadow_addon


def run(engine, clock, channels, tmp_path, **settings):
    settings.setdefault("signing_p12", tmp_path / "no-signing-key.p12")
    return jobs.run(today=TODAY, settings=job_settings(**settings), engine=engine, channels=channels, now=clock)


def plan(session, vendor, name: str) -> AddonPlan:
    slug = name.split(":")[0]
    service = session.exec(select(AddonService).where(AddonService.name == slug)).first()
    if service is None:
        service = AddonService(name=slug, vendor_id=vendor.id)
        session.add(service)
        session.flush()
    row = AddonPlan(name=name, service_id=service.id)
    session.add(row)
    session.flush()
    return row


def test_drift_is_announced_once_per_state(live_engine, session_on, webhook_server, clock, tmp_path):
    with session_on() as session:
        make_user(session, role="security")
        vendor = make_vendor(session)
        approved = make_integration(session, vendor, kind="heroku_addon", heroku_app="api", addon_plan="papertrail:choklad",
                                    name="Logs on api")
        approved.status = IntegrationStatus.approved.value
        bigger = plan(session, vendor, "papertrail:fixa")
        installation = make_shadow_addon(session, first_seen_on=TODAY - timedelta(days=100), name="papertrail-rigid-1")
        installation.integration_id = approved.id
        installation.plan_id = bigger.id
        session.commit()
        installation_id = installation.id

    run(live_engine, clock, [webhook_server.channel()], tmp_path)
    run(live_engine, clock, [webhook_server.channel()], tmp_path)
    # The approval's gates fail too (nothing on file for this vendor): one alert for each, once.
    assert sorted(webhook_server.titles()) == ["Logs on api: gate failed", "Logs on api: plan changed"]
    assert any(line.startswith("Estate alert: Logs on api: plan changed — found ") for line in webhook_server.item_lines())

    with session_on() as session:  # the plan changes again: a new alert; then it is removed: another
        row = session.get(AddonInstallation, installation_id)
        row.plan_id = plan(session, vendor, "papertrail:volmar").id
        session.commit()
    run(live_engine, clock, [webhook_server.channel()], tmp_path)
    with session_on() as session:
        row = session.get(AddonInstallation, installation_id)
        row.gone_at = datetime(2026, 11, 28, 23, tzinfo=UTC)
        session.commit()
    run(live_engine, clock, [webhook_server.channel()], tmp_path)
    run(live_engine, clock, [webhook_server.channel()], tmp_path)
    assert sorted(webhook_server.titles()) == ["Logs on api: gate failed", "Logs on api: gone", "Logs on api: plan changed",
                                               "Logs on api: plan changed"]


def test_a_shadow_add_on_reaches_security_once(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        security = make_user(session, role="security")
        make_user(session, role="engineer")
        make_shadow_addon(session, first_seen_on=TODAY)
        session.commit()
    for _ in range(3):
        clock.advance(hours=1)
        run(live_engine, clock, [smtp_server.channel()], tmp_path)
    assert smtp_server.reminders() == [(security.email, "Shadow add-on redis-cubed-42 on api")]
    assert smtp_server.messages[0].message["Subject"] == "riskreg reminders: 1 estate alert"


def test_the_signing_certificate_expiry_reaches_the_admins(live_engine, session_on, smtp_server, clock, tmp_path):
    from app.core import signing

    with session_on() as session:
        admin = make_user(session, role="admin")
        make_user(session, role="legal")
        session.commit()
    made = signing.init_local_ca(tmp_path / "signing", days=20, now=datetime(2026, 11, 29, 8, tzinfo=UTC))

    run(live_engine, clock, [smtp_server.channel()], tmp_path, signing_p12=made.signer_p12,
        signing_passphrase=made.passphrase_file.read_text().strip())

    assert smtp_server.reminders() == [(admin.email, "The certificate that signs assessment records expires")]
    assert "in 20 days (2026-12-19)" in smtp_server.messages[0].text
    assert "RISKREG_SIGNING_P12" in smtp_server.messages[0].text


def test_an_unreadable_signing_key_does_not_stop_the_other_reminders(live_engine, session_on, smtp_server, clock,
                                                                    tmp_path):
    from app.core import signing

    with session_on() as session:
        security = make_user(session, role="security")
        make_shadow_addon(session, first_seen_on=TODAY)
        session.commit()
    made = signing.init_local_ca(tmp_path / "signing", days=20, now=datetime(2026, 11, 29, 8, tzinfo=UTC))

    report = run(live_engine, clock, [smtp_server.channel()], tmp_path, signing_p12=made.signer_p12,
                 signing_passphrase="wrong passphrase")

    assert not report.failed
    assert smtp_server.reminders() == [(security.email, "Shadow add-on redis-cubed-42 on api")]
