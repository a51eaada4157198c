"""Printing an assessment record: RecordView → HTML (Jinja, autoescaped) → PDF (WeasyPrint, with a URL
fetcher that reaches nothing but the app's static folder), in a worker process with a time and
memory limit (SECURITY.md, "PDF rendering"). Signing is a separate step (app.core.signing).

WeasyPrint is imported only where a PDF is made, so web processes, which hand rendering to the
workers, never load it.
"""

import functools
import logging
import mimetypes
import multiprocessing
import os
import re
import resource
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import markupsafe

from app.assessments.record import RecordView
from app.core.errors import DomainError

log = logging.getLogger("riskreg.pdf")

APP_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = APP_DIR / "templates" / "pdf"
STATIC_DIR = (APP_DIR / "static").resolve()
TEMPLATE = "record.html"
MAX_STATIC_BYTES = 16 * 1024 * 1024  # the largest file the fetcher hands over (the fonts are < 1 MiB)
MAX_WORKERS = 2
SNAPSHOT_NAME = "assessment.json"
SNAPSHOT_DESCRIPTION = (
    "The assessment and its snapshot (JSON): every input this decision rested on, enough to "
    "recompute every score in this record."
)


class RecordRenderFailed(DomainError):
    """The record could not be printed: no worker was free, or the render timed out, ran out of
    memory or crashed. No PDF was produced."""

    status_code = 503


class FetchRefused(ValueError):
    """A resource outside what a record may reference (the static folder, `data:` URLs)."""


# --- HTML --------------------------------------------------------------------------------------

BREAK_EVERY = 10  # characters between the break opportunities added to a long unbroken run
_LONG_RUN = re.compile(rf"\S{{{2 * BREAK_EVERY + 1},}}")
# A piece keeps the combining marks, variation selectors and joiners that follow it with it.
_RUN_PIECE = re.compile(rf"\S{{1,{BREAK_EVERY}}}[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe00-\ufe0f\u200d]*")


def _break_opportunities(value: Any) -> Any:
    """Every printed value: a zero-width space every BREAK_EVERY characters inside runs without
    whitespace (long tokens, hashes, URLs). WeasyPrint does wrap such a run by itself (`overflow-wrap:
    anywhere`), but at about 0.1 ms a character, so 1.3 MB of hostile tokens across a response's
    answers would take minutes; with these opportunities it costs what ordinary words cost. The
    zero-width space is invisible and is not in the PDF's text. Markup (see the `plain` filter) is
    left alone.
    """
    if type(value) is not str or len(value) <= 2 * BREAK_EVERY:
        return value
    return _LONG_RUN.sub(lambda run: "\u200b".join(_RUN_PIECE.findall(run[0])), value)


# Autoescape on for every template, whatever its name; templates come only from app/templates/pdf,
# never from user text. StrictUndefined: a misspelt field fails loudly instead of printing nothing.
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    auto_reload=False,
    finalize=_break_opportunities,
)
# `{{ value|plain }}`: escaped, without added break opportunities (the PDF's title and metadata).
_env.filters["plain"] = markupsafe.escape


def render_html(view: RecordView) -> str:
    """The record as an HTML document whose relative URLs resolve against the static folder."""
    if not isinstance(view, RecordView):
        raise TypeError(f"render_html takes a RecordView, not {type(view).__name__}")
    return _env.get_template(TEMPLATE).render(view=view)


def render_document_html(template: str, view: Any) -> str:
    """Another printed document (such as the record of processing): `template`, a file name in
    app/templates/pdf, rendered with `view` by the same autoescaping environment as the record."""
    _check_template(template)
    return _env.get_template(template).render(view=view)


def _check_template(template: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*\.html", template) or template == TEMPLATE:
        raise ValueError(f"template {template!r}: name a document template in app/templates/pdf")


# --- fetching ----------------------------------------------------------------------------------

def _describe(url: str) -> str:
    return url if len(url) <= 200 else f"{url[:200]}… ({len(url)} characters)"


@functools.cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Hands WeasyPrint `data:` URLs and regular files inside `root` (after resolving symlinks);
        refuses everything else by raising FetchRefused, so the resource is left out and nothing is
        fetched. Every fetch and refusal is kept in `fetched` / `refused` and refusals are logged."""

        def __init__(self, root: Path = STATIC_DIR) -> None:
            super().__init__(timeout=5, allowed_protocols=("data", "file"), allow_redirects=False,
                             fail_on_errors=False)
            self.root = Path(os.path.realpath(root))
            self.fetched: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            try:
                response = self._fetch(url)
            except FetchRefused as exc:
                self.refused.append(url)
                log.warning("pdf fetch refused", extra={"url": _describe(url), "reason": str(exc)})
                raise
            self.fetched.append(url)
            return response

        def _fetch(self, url: str) -> Any:
            scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url)
            if scheme != "file":
                raise FetchRefused(f"scheme {scheme or 'none'!r} is not allowed")
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
                raise FetchRefused("a file URL with a host, query or fragment")
            path = unquote(parts.path)
            if "\x00" in path or ".." in path.split("/") or not path.startswith("/"):
                raise FetchRefused("not a plain absolute path")
            real = Path(os.path.realpath(path))
            if not real.is_relative_to(self.root):
                raise FetchRefused("outside the static folder")
            if not real.is_file():
                raise FetchRefused("not a regular file")
            if real.stat().st_size > MAX_STATIC_BYTES:
                raise FetchRefused(f"larger than {MAX_STATIC_BYTES} bytes")
            body = real.read_bytes()
            media_type = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
            return URLFetcherResponse(real.as_uri(), body, {"Content-Type": media_type})

    return StaticOnlyFetcher


def static_only_fetcher(root: Path = STATIC_DIR) -> Any:
    """A WeasyPrint URL fetcher limited to `data:` URLs and files inside `root` (the static folder)."""
    return _fetcher_class()(root)


# --- PDF ---------------------------------------------------------------------------------------

def html_to_pdf(html: str, *, attachments: Sequence[tuple[str, bytes, str]] = (),
                created: datetime | None = None, url_fetcher: Any = None) -> bytes:
    """The PDF of `html`, with `attachments` (name, bytes, description) embedded as files.

    Relative URLs resolve against the static folder; the fetcher (by default `static_only_fetcher()`)
    reaches nothing else. `created` dates the attachments (default: now), so the same inputs can
    give the same bytes.
    """
    from weasyprint import HTML, Attachment

    fetcher = url_fetcher if url_fetcher is not None else static_only_fetcher()
    when = created if created is not None else datetime.now()
    files = [
        Attachment(string=data, name=name, description=description, url_fetcher=fetcher,
                   created=when, modified=when, relationship="Data")
        for name, data, description in attachments
    ]
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    pdf = document.write_pdf(attachments=files)
    if fetcher.refused:
        log.warning("pdf rendered without refused resources", extra={"refused": len(fetcher.refused)})
    return pdf


def _render_job(view: RecordView, snapshot_json: bytes) -> bytes:
    """What a worker runs: the whole pipeline from view to PDF bytes."""
    created = datetime.strptime(view.created, "%Y-%m-%dT%H:%M:%SZ")
    return html_to_pdf(render_html(view), attachments=[(SNAPSHOT_NAME, snapshot_json, SNAPSHOT_DESCRIPTION)],
                       created=created)


def _document_job(template: str, view: Any, created: datetime) -> bytes:
    """What a worker runs for `render_document_pdf`."""
    return html_to_pdf(render_document_html(template, view), created=created)


# The function the workers run; a module attribute looked up at each submit, so a test can swap in
# a job that hangs or crashes (it must be importable by the worker: a module-level function).
_job: Callable[[RecordView, bytes], bytes] = _render_job


# --- the worker pool ---------------------------------------------------------------------------

def _init_worker(memory_limit_mb: int) -> None:
    """Caps the worker's address space, logs as the app does (JSON lines on the shared stdout), then
    loads WeasyPrint so the first render is not slowed by it."""
    from app.core.logging import configure_logging

    configure_logging("WARNING")
    limit = memory_limit_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    import weasyprint  # noqa: F401


def _exit_with_parent(parent: int) -> None:
    """A worker whose server was killed (SIGKILL, a dyno restart) would otherwise wait forever on its
    queue, holding its memory: when the parent is gone, the worker goes too."""
    while os.getppid() == parent:
        time.sleep(2)
    os._exit(0)


_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_memory_mb: int | None = None
_slots = threading.BoundedSemaphore(MAX_WORKERS)


def _get_pool(memory_limit_mb: int) -> ProcessPoolExecutor:
    global _pool, _pool_memory_mb
    with _lock:
        if _pool is not None and _pool_memory_mb != memory_limit_mb:
            _pool.shutdown(wait=False)  # its running renders finish; new ones go to a pool with the new limit
            _pool = None
        if _pool is None:
            # spawn, not fork: forking a threaded web process can copy a held lock into the child.
            _pool = ProcessPoolExecutor(
                max_workers=MAX_WORKERS, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(memory_limit_mb,),
            )
            _pool_memory_mb = memory_limit_mb
        return _pool


def _discard_pool(pool: ProcessPoolExecutor) -> None:
    """Kills the pool's workers (the only way to stop a render in progress) and forgets the pool; the
    next render starts a new one."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)


def shutdown_pool() -> None:
    """Stops the workers (at process exit, or in tests)."""
    with _lock:
        pool = _pool
    if pool is not None:
        _discard_pool(pool)


def render_record_pdf(view: RecordView, snapshot_json: bytes, *, timeout: float = 60.0,
                      memory_limit_mb: int = 1024) -> bytes:
    """The record's PDF (unsigned), with `snapshot_json` attached as assessment.json.

    Rendered in one of MAX_WORKERS worker processes, each limited to `memory_limit_mb` of address
    space. A render waits up to `timeout` seconds for a free worker, then up to `timeout` seconds to
    finish. On timeout the pool's workers are killed (a render in progress cannot be cancelled any
    other way) and the next render starts a fresh pool. A worker that dies while rendering (another
    render's timeout, a crash) costs one retry on a fresh pool. Raises RecordRenderFailed when no
    PDF can be produced; nothing is stored either way.
    """
    return _run_in_worker(
        _job, (view, snapshot_json), what=f"the record of assessment #{view.assessment_id}",
        too_large="if it happens again, the record's inputs are too large to print.",
        log_extra={"assessment_id": view.assessment_id}, timeout=timeout, memory_limit_mb=memory_limit_mb,
    )


def render_document_pdf(template: str, view: Any, *, what: str, created: datetime, timeout: float = 60.0,
                        memory_limit_mb: int = 1024, too_large: str = "if it happens again, it is too large to print.",
                        ) -> bytes:
    """A PDF of `template` (see `render_document_html`) with `view`, through the same pipeline as the
    record: the locked-down fetcher, in the worker pool, under the same time and memory limits.
    `what` names the document in errors ("the record of processing"). Raises RecordRenderFailed."""
    _check_template(template)  # here too, so a wrong name fails before a worker is taken
    return _run_in_worker(_document_job, (template, view, created), what=what, too_large=too_large,
                          log_extra={"template": template}, timeout=timeout, memory_limit_mb=memory_limit_mb)


def _run_in_worker(job: Callable[..., bytes], args: tuple[Any, ...], *, what: str, too_large: str,
                   log_extra: dict[str, Any], timeout: float, memory_limit_mb: int) -> bytes:
    """Runs `job(*args)` in the pool (see `render_record_pdf` for the limits and the retry)."""
    if not _slots.acquire(timeout=timeout):
        raise RecordRenderFailed(
            f"{what[:1].upper()}{what[1:]} was not rendered: both PDF workers stayed busy for {timeout:g} s. "
            "Nothing was stored; try again in a minute.", headers={"Retry-After": "60"})
    try:
        for attempt in (1, 2):
            pool = _get_pool(memory_limit_mb)
            started = time.monotonic()
            try:
                future = pool.submit(job, *args)
                return future.result(timeout=timeout)
            except FutureTimeout:
                _discard_pool(pool)
                log.error("pdf render timed out", extra={**log_extra, "timeout_s": timeout})
                raise RecordRenderFailed(
                    f"Rendering {what} took longer than {timeout:g} s and was stopped. "
                    f"Nothing was stored; {too_large}"
                ) from None
            except MemoryError:
                _discard_pool(pool)
                log.error("pdf render out of memory", extra={**log_extra, "memory_limit_mb": memory_limit_mb})
                raise RecordRenderFailed(
                    f"Rendering {what} needed more than {memory_limit_mb} MB and was stopped. "
                    "Nothing was stored."
                ) from None
            except (BrokenProcessPool, RuntimeError) as exc:
                # RuntimeError: the pool was shut down between _get_pool and submit (another render's timeout).
                if not isinstance(exc, BrokenProcessPool) and "shutdown" not in str(exc):
                    raise
                _discard_pool(pool)
                log.error("pdf worker died", extra={**log_extra, "attempt": attempt,
                                                    "after_s": round(time.monotonic() - started, 3)})
                if attempt == 2:
                    raise RecordRenderFailed(
                        f"The PDF worker rendering {what} stopped unexpectedly, twice. "
                        "Nothing was stored."
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        _slots.release()
