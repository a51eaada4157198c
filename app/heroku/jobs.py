"""What the CLI and the import routes run: read a CLI export or the Platform API, then apply it."""

import hashlib
import logging

from sqlmodel import Session

from app.audit.service import Actor
from app.core.config import get_settings
from app.core.errors import InvalidInput, InvalidState
from app.heroku import importer, parse
from app.heroku.importer import ImportReport

log = logging.getLogger("riskreg.heroku")
MAX_IMPORT_BYTES = 64 * 1024 * 1024  # a 50,000-add-on export is about 60 MB


class HerokuFileInvalid(InvalidInput):
    pass


class HerokuTokenMissing(InvalidState):
    pass


def import_file(session: Session, data: bytes, *, actor: Actor, complete: bool = False) -> ImportReport:
    """Parses a Heroku CLI export (refused whole, with what is wrong, if it cannot be read) and applies it."""
    try:
        estate = parse.parse_cli_json(data)
    except parse.HerokuFileError as error:
        raise HerokuFileInvalid(f"The file was not imported, nothing changed: {error}") from None
    if complete:
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


def sync(session: Session, *, actor: Actor) -> ImportReport:
    """Reads the whole estate from the Platform API with HEROKU_API_TOKEN and applies it; add-ons the API
    no longer lists are marked gone."""
    from app.heroku.client import HerokuClient, fetch_estate

    settings = get_settings()
    if settings.heroku_api_token is None:
        raise HerokuTokenMissing(
            "HEROKU_API_TOKEN is not set; create a token with `heroku authorizations:create` and set it "
            "(or import the CLI's JSON instead: riskreg heroku import FILE)."
        )
    with HerokuClient(settings.heroku_api_url, settings.heroku_api_token.get_secret_value()) as client:
        raw = fetch_estate(client)
    estate = parse.estate_from_api(**raw)
    report = importer.apply_estate(session, estate, actor=actor)
    _log(report)
    return report


def _log(report: ImportReport) -> None:
    log.info("heroku import", extra={"source": report.source, **{f"created_{k}": v for k, v in report.created.items()},
                                     "gone": report.gone, "linked": report.linked, "skipped": len(report.skipped)})
