"""What the CLI and the import routes run: read a CLI export or the Platform API, then apply it."""

import hashlib
import logging

from sqlmodel import Session

from app.audit.service import Actor
from app.core.config import get_settings
from app.core.errors import InvalidInput, InvalidState, PayloadTooLarge
from app.heroku import importer, parse
from app.heroku.estate import Estate
from app.heroku.importer import ImportReport

log = logging.getLogger("riskreg.heroku")
# `heroku addons --json` prints 1.5-2 kB an add-on, so 32 MiB holds some 16,000-21,000 add-ons. Parsing takes
# about four times the file's size in memory (~140 MB at the limit), which a 512 MB dyno must hold beside the rest.
MAX_IMPORT_BYTES = 32 * 1024 * 1024


class HerokuFileInvalid(InvalidInput):
    pass


class HerokuFileTooLarge(PayloadTooLarge):
    pass


class HerokuTokenMissing(InvalidState):
    pass


def import_file(session: Session, data: bytes, *, actor: Actor, complete: bool = False) -> ImportReport:
    """Parses a Heroku CLI export (refused whole, with what is wrong, if it cannot be read) and applies it.
    `complete` (the file is the whole estate) is taken only from an add-on list with every add-on readable."""
    if len(data) > MAX_IMPORT_BYTES:
        raise HerokuFileTooLarge(
            f"The file was not imported, nothing changed: it is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB. "
            "Export one app at a time (heroku addons --app APP --json) and import each file."
        )
    try:
        estate = parse.parse_cli_json(data)
    except parse.HerokuFileError as error:
        raise HerokuFileInvalid(f"The file was not imported, nothing changed: {error}") from None
    if complete:
        if estate.source != "addons":
            what = {"apps_info": "one app's `heroku apps:info --json`",
                    "plans": "a plan list (`heroku addons:plans --json`)"}.get(estate.source, estate.source)
            raise HerokuFileInvalid(
                f"The file was not imported, nothing changed: it is {what}, not an add-on list, so it cannot be "
                "the complete estate (every add-on it does not list would be marked gone). Only the output of "
                "`heroku addons --all --json` can be imported as complete; import this file without --complete "
                "(complete=false)."
            )
        unreadable = [s for s in estate.skipped if s.what.startswith("add-on")]
        if unreadable:
            raise HerokuFileInvalid(
                f"The file was not imported, nothing changed: {len(unreadable)} add-on(s) in it could not be read "
                f"(first: {unreadable[0].what}: {unreadable[0].reason}), so it cannot be the complete estate: add-ons "
                "it failed to describe would be marked gone. Import it without --complete (complete=false)."
            )
        estate.everything = True
    report = importer.apply_estate(session, estate, actor=actor, file_sha256=hashlib.sha256(data).hexdigest(),
                                   file_size=len(data))
    _log(report)
    return report


def fetch_api_estate() -> Estate:
    """Reads the whole estate from the Platform API with HEROKU_API_TOKEN. Touches no database: call it
    with no transaction open, so the minutes Heroku may take hold no lock that other writers wait for."""
    from app.heroku.client import HerokuClient, fetch_estate

    settings = get_settings()
    if settings.heroku_api_token is None:
        raise HerokuTokenMissing(
            "HEROKU_API_TOKEN is not set; create a token with `heroku authorizations:create` and set it "
            "(or import the CLI's JSON instead: riskreg heroku import FILE)."
        )
    with HerokuClient(settings.heroku_api_url, settings.heroku_api_token.get_secret_value()) as client:
        raw = fetch_estate(client)
    return parse.estate_from_api(**raw)


def apply(session: Session, estate: Estate, *, actor: Actor) -> ImportReport:
    """Applies what `fetch_api_estate` read; add-ons the API no longer lists are marked gone."""
    report = importer.apply_estate(session, estate, actor=actor)
    _log(report)
    return report


def sync(session: Session, *, actor: Actor) -> ImportReport:
    """`fetch_api_estate`, then `apply` in `session`. Whatever `session` holds is committed first, so no
    transaction (on a writing session: no write lock) stays open while Heroku is read."""
    session.commit()
    estate = fetch_api_estate()
    return apply(session, estate, actor=actor)


def _log(report: ImportReport) -> None:
    log.info("heroku import", extra={"source": report.source, **{f"created_{k}": v for k, v in report.created.items()},
                                     "gone": report.gone, "linked": report.linked, "skipped": len(report.skipped)})
