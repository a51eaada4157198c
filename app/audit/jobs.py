"""What `riskreg audit …` runs: verify the chain, export it for auditors as JSON Lines."""

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session

from app.audit import chain
from app.audit import service as audit_service
from app.core.errors import InvalidInput


def verify(session: Session) -> chain.Verdict:
    return audit_service.verify_chain(session)


def event_json(event: Mapping[str, Any]) -> str:
    """One event as one line of JSON: every column, `at` in ISO-8601 UTC to the microsecond.

    `at` has the exact form the hash was computed over, so an auditor can re-check the chain from
    the export alone: hash = SHA-256(prev_hash ‖ canonical JSON of seq, at, actor_type, actor_id,
    actor, action, subject_type, subject_id, changes).
    """
    row = dict(event)
    row["at"] = row["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(row, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Export:
    events: int
    head_seq: int | None
    head_hash: str | None


def export_jsonl(session: Session, out: TextIO) -> Export:
    """Writes every event in seq order, one per line, streamed from the database."""
    count, head_seq, head_hash = 0, None, None
    for event in audit_service.iter_events(session):
        out.write(event_json(event))
        out.write("\n")
        count, head_seq, head_hash = count + 1, event["seq"], event["hash"]
    return Export(events=count, head_seq=head_seq, head_hash=head_hash)


def export_jsonl_to_file(session: Session, path: Path) -> Export:
    """As `export_jsonl`, into `path`: written to a temporary file beside it, then renamed over it,
    so `path` is never seen half-written. The file is readable by its owner only (it names people)."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"output: {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise InvalidInput(f"output: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            result = export_jsonl(session, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result
