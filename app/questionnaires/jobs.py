"""Loading the questionnaire folder: at start-up, from `riskreg questionnaires load`, and checking files."""

import logging
from collections.abc import Sequence
from pathlib import Path

from app.core.db import session_scope
from app.questionnaires import service as questionnaire_service
from app.questionnaires.loader import Catalogue, Problem, load_dir, load_paths

log = logging.getLogger("riskreg.questionnaires")


def check(paths: Sequence[Path]) -> tuple[Catalogue, list[Problem]]:
    """For authors: validate files (or every *.yaml in folders) without touching the database."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    catalogue = load_paths(files)
    return catalogue, catalogue.problems


def load(directory: Path) -> tuple[Catalogue, questionnaire_service.SyncReport]:
    """Load the folder and store what changed. Bad files are logged loudly and left out; the good load."""
    catalogue = load_dir(directory)
    with session_scope() as session:
        report = questionnaire_service.sync_catalogue(session, catalogue)
    for problem in [*catalogue.problems, *report.refused]:
        log.error("questionnaire refused", extra={"problem": str(problem)})
    log.info(
        "questionnaires loaded",
        extra={"loaded": len(catalogue.loaded), "added": len(report.added), "updated": len(report.updated),
               "refused": len(catalogue.problems) + len(report.refused)},
    )
    return catalogue, report
