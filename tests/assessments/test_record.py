"""The assessment record: view model, HTML, PDF and the worker that prints it.

PDFs are checked by the text pypdf extracts from them and by their attachments, never by their bytes
(except to show that a file's contents did not get in at all).
"""

import logging
import os
import pickle
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.assessments import render
from app.assessments.record import HEAD_CAP, TEXT_CAP, RecordView, build_record, truncate
from app.assessments.render import FetchRefused, RecordRenderFailed, html_to_pdf, render_html, static_only_fetcher
from tests.assessments.samples import overall_of, sample_decision, sample_snapshot, with_row

HOSTILE = (
    "<img src=file:///etc/passwd>",
    "<link rel=attachment href=file:///etc/passwd>",
    "<style>body { background: url(http://169.254.169.254/latest/meta-data/) }</style>",
    "url(http://169.254.169.254/)",
)


def text_of(pdf: bytes) -> str:
    """The PDF's text, whitespace collapsed (lines wrap wherever the layout put them)."""
    reader = PdfReader(BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def squeezed(pdf: bytes) -> str:
    """The text with all whitespace removed, for strings that wrap inside a word (hashes, long tokens)."""
    return re.sub(r"\s+", "", text_of(pdf))


def pages(pdf: bytes) -> int:
    return len(PdfReader(BytesIO(pdf)).pages)


def attachments(pdf: bytes) -> dict[str, list[bytes]]:
    return dict(PdfReader(BytesIO(pdf)).attachments)


def pdf_of(snapshot=None, decision=None, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    snapshot = snapshot or sample_snapshot()
    view = build_record(snapshot, decision or sample_decision())
    return render.render_record_pdf(view, snapshot.model_dump_json().encode(), **kwargs)


def small_view() -> RecordView:
    """A short record (no responses: four pages), for tests about the worker rather than the layout."""
    return build_record(sample_snapshot(responses=[], overall=overall_of([])), sample_decision())


@pytest.fixture(scope="module", autouse=True)
def _stop_workers():  # type: ignore[no-untyped-def]
    yield
    render.shutdown_pool()


@pytest.fixture(scope="module")
def sample() -> tuple[RecordView, bytes, bytes]:
    """The sample record, printed through the worker pool like the service does: (view, json, pdf)."""
    snapshot = sample_snapshot()
    view = build_record(snapshot, sample_decision())
    snapshot_json = snapshot.model_dump_json().encode()
    return view, snapshot_json, render.render_record_pdf(view, snapshot_json)


# --- the view model (pure) -----------------------------------------------------------------------

def test_the_cover_summarises_the_decision() -> None:
    snapshot = sample_snapshot()
    view = build_record(snapshot, sample_decision())
    cover = {item.label: item.value for item in view.cover}
    assert cover["Vendor"] == "Logbright (Logbright Inc.)"
    assert cover["Integration"] == "Logbright log drain on billing-api (Heroku add-on)"
    assert cover["Decision"] == "Approved with conditions"
    assert cover["Residual risk"] == "high"
    assert cover["Assurance"] == f"{snapshot.overall.assurance:.2f} / 100"
    assert cover["Verdict"] == "Pass"
    assert cover["Valid until"] == "2027-03-04"
    assert cover["Signed by"] == "Lena Brandt (legal), 2026-03-04 16:45 UTC"
    assert view.headline_tone == "warn" and view.draft_notice == ""
    assert view.created == "2026-03-04T16:45:00Z"
    assert view.running_head == "Assessment record #42 · Logbright log drain on billing-api"


def test_every_question_of_every_response_has_a_row() -> None:
    snapshot = sample_snapshot()
    view = build_record(snapshot, sample_decision())
    assert len(view.responses) == 2
    for response, shown in zip(snapshot.responses, view.responses, strict=True):
        ids = [a.question_id for s in shown.sections for a in s.answers]
        assert ids == [r.question_id for r in response.rows]
        assert [b.title for b in shown.breakdown] == [s["title"] for s in response.definition["sections"]]
    answers = {a.question_id: a for r in view.responses for s in r.sections for a in s.answers}

    mfa = answers["access.mfa_staff"]
    assert (mfa.answer, mfa.value) == ("All staff, using app-based or push factors", "all_staff")
    assert mfa.evidence == "Independently attested, in date"
    assert mfa.comment.startswith("Okta Verify push") and mfa.points == "0.80 × 1.00 = 0.80" and mfa.weight == "3"
    assert answers["gov.security_policy"].answer == "Yes"
    assert answers["access.offboarding_hours"].answer == "24"
    assert answers["addon.data_categories"].answer == "Customer personal data; Logs and telemetry"

    na = answers["access.customer_mfa"]
    assert (na.answer, na.status) == ("N/A", "N/A")
    assert na.na_reason == "Customers never sign in to the add-on; we use it through the API."

    filtered = answers["addon.filter_layer"]
    assert filtered.answer == "No"
    assert filtered.compensating == ("Log lines pass the app's structured logger, which drops request bodies. "
                                     "(accepted by the reviewer)")
    assert filtered.points == "0.50 × 0.70 = 0.35"  # the compensating-control credit

    assert answers["addon.dpa"].answer == "In-date document attached"
    assert (answers["gov.risk_assessment"].answer, answers["gov.risk_assessment"].tone) == ("Not answered", "bad")
    assert answers["addon.volume_alerting"].answer.startswith("Not asked")


def test_agreements_heroku_questionnaires_gates_and_findings() -> None:
    snapshot = sample_snapshot()
    view = build_record(snapshot, sample_decision())
    documents = {d.title: d for d in view.documents}
    dpa = documents["Logbright Data Processing Addendum 2025"]
    assert (dpa.type, dpa.status, dpa.tone, dpa.transfer_mechanism) == ("DPA", "In force", "ok", "SCC")
    assert dpa.sha256 == snapshot.documents[0].sha256
    assert [d.status for d in view.documents][-1] == "Expired"  # in force first

    heroku = {i.label: i.value for i in view.heroku}
    assert heroku["App"] == "billing-api" and heroku["Space"] == "acme-shield" and heroku["Shield"] == "Yes"
    assert heroku["Plan"] == "logbright:shield-pro" and heroku["Plan compliance"] == "HIPAA"

    assert [(q.key, q.version, q.content_hash) for q in view.questionnaires] == [
        (r.questionnaire_key, str(r.questionnaire_version), r.content_hash) for r in snapshot.responses]

    assert len(view.gates) == len(snapshot.overall.gates)
    gate = next(g for g in view.gates if g.id == "policy.gdpr.dpa")
    assert (gate.source, gate.status, gate.tone) == ("Policy", "Passed", "ok")
    assert gate.notes == "questionnaire: heroku-addon"

    assert len(view.findings) == len(snapshot.overall.findings)
    assert view.findings[0].severity == "medium"  # most severe first
    assert view.findings[0].where == "baseline-security · logging.tamper_protection"
    assert view.findings[0].remediation.startswith("Ship logs to a write-once")


def test_failed_gates_come_first_and_block_the_verdict() -> None:
    snapshot = sample_snapshot()
    gates = [*snapshot.overall.gates, {"id": "policy.hipaa.baa", "source": "policy", "status": "failed",
                                       "severity": "critical", "message": "PHI needs a signed BAA."}]
    overall = snapshot.overall.model_copy(update={"gates": gates, "verdict": "blocked"})
    view = build_record(snapshot.model_copy(update={"overall": overall}), sample_decision(decision="reject"))
    assert (view.gates[0].id, view.gates[0].status, view.gates[0].tone) == ("policy.hipaa.baa", "Failed", "bad")
    cover = {i.label: (i.value, i.tone) for i in view.cover}
    assert cover["Verdict"] == ("Blocked by 1 gate", "bad")
    assert cover["Decision"] == ("Rejected", "bad")


def test_an_unsigned_record_says_so_and_a_saas_integration_has_no_heroku_section() -> None:
    view = build_record(sample_snapshot(heroku=None), sample_decision(signer=None, signed_at=None, decision=None,
                                                                      status="in_review"))
    assert view.draft_notice.startswith("Not signed")
    assert view.headline == "No decision recorded"
    assert view.heroku == ()
    assert view.created == "2026-03-02T14:05:00Z"  # taken_at when unsigned


@pytest.mark.parametrize(("text", "cap", "shown"), [
    ("short", 10, "short"),
    ("x" * 10, 10, "x" * 10),
    ("x" * 11, 10, "x" * 10 + "… (1 more character)"),
    ("x" * 1_000_000, 4_000, "x" * 4_000 + "… (996,000 more characters)"),
    ("a\r\nb\rc\x00d\x1be\ud800", 100, "a\nb\nc\ufffdd\ufffde\ufffd"),
])
def test_truncate(text: str, cap: int, shown: str) -> None:
    assert truncate(text, cap) == shown


def test_the_view_is_deterministic_frozen_and_picklable() -> None:
    first = build_record(sample_snapshot(), sample_decision())
    assert build_record(sample_snapshot(), sample_decision()) == first
    assert pickle.loads(pickle.dumps(first)) == first
    with pytest.raises(AttributeError):
        first.headline = "Approved"  # type: ignore[misc]


def test_long_text_is_capped_in_the_view() -> None:
    snapshot = with_row(sample_snapshot(), "access.sso", comment="word " * 200_000)
    snapshot = snapshot.model_copy(update={"integration": snapshot.integration.model_copy(
        update={"name": "N" * 20_000, "data_filtering": "F" * 20_000})})
    view = build_record(snapshot, sample_decision(conditions=["c" * 50_000] * 500))
    sso = next(a for r in view.responses for s in r.sections for a in s.answers if a.question_id == "access.sso")
    assert sso.comment.endswith("… (996,000 more characters)") and len(sso.comment) < TEXT_CAP + 40
    assert view.integration_name.endswith("… (19,700 more characters)")
    assert len(view.running_head) < HEAD_CAP + 30
    assert len(view.conditions) == 101 and view.conditions[-1] == "… and 400 more"


# --- the PDF --------------------------------------------------------------------------------------

def test_the_pdf_shows_the_record(sample: tuple[RecordView, bytes, bytes]) -> None:
    view, _json, pdf = sample
    text = text_of(pdf)
    assert "Logbright (Logbright Inc.)" in text
    assert "Approved with conditions" in text
    assert "Assessment #42" in text
    for condition in view.conditions:
        assert condition in text
    for response in view.responses:
        for section in response.sections:
            for answer in section.answers:
                if answer.status in ("answered", "N/A"):
                    assert answer.answer in text, answer.question_id
                if answer.comment:
                    assert answer.comment in text
    squeezed_text = squeezed(pdf)
    for document in view.documents:
        assert document.sha256 in squeezed_text
    for questionnaire in view.questionnaires:
        assert questionnaire.content_hash in squeezed_text


def test_every_page_is_numbered(sample: tuple[RecordView, bytes, bytes]) -> None:
    _view, _json, pdf = sample
    reader = PdfReader(BytesIO(pdf))
    total = len(reader.pages)
    assert 5 <= total <= 40
    for number, page in enumerate(reader.pages, start=1):
        text = re.sub(r"\s+", " ", page.extract_text())
        assert f"page {number} of {total}" in text
        assert "Assessment #42" in text
    assert "Assessment record #42 · Logbright log drain on billing-api" in reader.pages[1].extract_text()


def test_the_snapshot_is_attached_and_the_fonts_are_embedded(sample: tuple[RecordView, bytes, bytes]) -> None:
    _view, snapshot_json, pdf = sample
    assert attachments(pdf) == {"assessment.json": [snapshot_json]}
    reader = PdfReader(BytesIO(pdf))
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1]
             for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts == {"Record-Sans", "Record-Sans-Bold", "Record-Mono"}
    assert reader.metadata.title == "Assessment record #42: Logbright log drain on billing-api (Logbright)"


def test_html_is_autoescaped() -> None:
    snapshot = sample_snapshot(vendor={"name": "{{7*7}}", "legal_name": "<script>alert(1)</script>"})
    html = render_html(build_record(snapshot, sample_decision())).replace("\u200b", "")  # break opportunities
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{7*7}}" in html


def test_markup_and_template_syntax_in_names_show_literally() -> None:
    snapshot = sample_snapshot(vendor={"name": "{{7*7}}", "legal_name": "<script>alert(1)</script>"})
    text = text_of(pdf_of(snapshot))
    assert "Vendor {{7*7}} (<script>alert(1)</script>)" in text
    assert "Vendor 49" not in text and "alert(1) 49" not in text


def test_hostile_template_text_does_not_execute() -> None:
    payloads = ["{{ ''.__class__.__mro__[1].__subclasses__() }}",
                "{% for i in range(10**9) %}x{% endfor %}",
                "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
                "${7*7} #{7*7} <%= 7*7 %>"]
    snapshot = with_row(sample_snapshot(), "access.sso", comment=payloads[0])
    snapshot = with_row(snapshot, "incident.security_contact", value=payloads[2])
    started = time.monotonic()
    pdf = pdf_of(snapshot, sample_decision(conditions=payloads[1:]))
    assert time.monotonic() - started < 30
    text = squeezed(pdf)  # a payload may wrap onto a second line
    for payload in payloads:
        assert re.sub(r"\s+", "", payload) in text
    assert "uid=" not in text and "<class" not in text


def _hostile_snapshot():  # type: ignore[no-untyped-def]
    snapshot = sample_snapshot(vendor={"name": HOSTILE[0], "website": HOSTILE[3]},
                               integration={"data_filtering": " ".join(HOSTILE), "purpose": HOSTILE[2]})
    return with_row(snapshot, "access.sso", comment=HOSTILE[1])


def test_markup_in_text_fields_fetches_and_embeds_nothing(caplog: pytest.LogCaptureFixture) -> None:
    snapshot = _hostile_snapshot()
    view = build_record(snapshot, sample_decision(conditions=list(HOSTILE)))
    fetcher = static_only_fetcher()
    caplog.set_level(logging.WARNING)
    pdf = html_to_pdf(render_html(view), attachments=[("assessment.json", b"{}", "snapshot")], url_fetcher=fetcher)

    assert fetcher.refused == []  # escaped markup is text: nothing even asks to be fetched
    assert all(url.startswith(render.STATIC_DIR.as_uri() + "/") for url in fetcher.fetched)
    assert attachments(pdf) == {"assessment.json": [b"{}"]}
    text = text_of(pdf)
    for payload in HOSTILE:
        assert re.sub(r"\s+", "", payload) in squeezed(pdf)
    assert "root:x:0:0" not in text and b"root:x:0:0" not in pdf
    # Through the worker, the whole pipeline as the service runs it:
    snapshot_json = snapshot.model_dump_json().encode()
    pdf = render.render_record_pdf(view, snapshot_json)
    assert attachments(pdf) == {"assessment.json": [snapshot_json]}
    assert b"root:x:0:0" not in pdf and "root:x:0:0" not in text_of(pdf)


def test_the_fetcher_refuses_anything_outside_the_static_folder(caplog: pytest.LogCaptureFixture) -> None:
    """Defence in depth: even markup that reaches WeasyPrint unescaped cannot fetch or embed a file."""
    html = """<!doctype html><html><head>
      <link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">
      <link rel="attachment" href="file:///etc/passwd">
      <style>body { background: url(http://169.254.169.254/) }</style></head><body>
      <p>hostile</p><img src="file:///etc/passwd"><img src="../../../../../../etc/passwd">
      <a rel="attachment" href="file:///etc/passwd">passwd</a>
      <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='4' height='4'%3E%3Cimage href='file:///etc/passwd'/%3E%3C/svg%3E">
    </body></html>"""
    fetcher = static_only_fetcher()
    caplog.set_level(logging.WARNING, logger="riskreg.pdf")
    pdf = html_to_pdf(html, url_fetcher=fetcher)

    assert "hostile" in text_of(pdf)
    assert attachments(pdf) == {}
    assert b"root:x:0:0" not in pdf and "root:x:0:0" not in text_of(pdf)
    assert "file:///etc/passwd" in fetcher.refused
    assert "http://169.254.169.254/latest/meta-data/" in fetcher.refused
    assert "http://169.254.169.254/" in fetcher.refused
    assert all(url.startswith("data:") for url in fetcher.fetched)  # only the SVG itself
    assert sum(r.getMessage() == "pdf fetch refused" for r in caplog.records) == len(fetcher.refused) >= 4


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file://localhost/etc/passwd",
    "file://attacker.example/etc/passwd",
    f"{render.STATIC_DIR.as_uri()}/../../../../etc/passwd",
    f"{render.STATIC_DIR.as_uri()}/fonts/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    f"{render.STATIC_DIR.as_uri()}/fonts/DejaVuSans.ttf?x=1",
    f"{render.STATIC_DIR.as_uri()}/fonts/nothing-here.ttf",
    f"{render.STATIC_DIR.as_uri()}/fonts",
    f"{render.STATIC_DIR.as_uri()}/fonts/DejaVuSans.ttf%00.css",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://fonts.example/x.woff2",
    "ftp://example.com/x",
    "javascript:alert(1)",
    "/etc/passwd",
])
def test_refused_urls(url: str) -> None:
    fetcher = static_only_fetcher()
    with pytest.raises(FetchRefused):
        fetcher(url)
    assert fetcher.refused == [url] and fetcher.fetched == []


def test_a_symlink_out_of_the_static_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "static"
    (root / "fonts").mkdir(parents=True)
    (root / "fonts" / "ok.css").write_text("p { color: red }")
    (root / "fonts" / "evil.css").symlink_to("/etc/passwd")
    (root / "linked").symlink_to("/etc")
    fetcher = static_only_fetcher(root)
    assert fetcher((root / "fonts" / "ok.css").as_uri()).read() == b"p { color: red }"
    for path in (root / "fonts" / "evil.css", root / "linked" / "passwd"):
        with pytest.raises(FetchRefused, match="outside the static folder"):
            fetcher(path.as_uri())


def test_static_files_and_data_urls_are_allowed() -> None:
    fetcher = static_only_fetcher()
    font = fetcher((render.STATIC_DIR / "fonts" / "DejaVuSans.ttf").as_uri())
    assert font.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType file
    assert fetcher("data:text/plain,hello").read() == b"hello"
    assert fetcher.refused == []


def test_a_megabyte_answer_renders_within_the_cap() -> None:
    megabyte = "lorem ipsum " * 87_382  # 1,048,584 characters
    snapshot = with_row(sample_snapshot(), "incident.security_contact", value=megabyte)
    snapshot = with_row(snapshot, "access.sso", comment=megabyte)
    pdf = pdf_of(snapshot)
    text = text_of(pdf)
    assert text.count(f"… ({len(megabyte) - TEXT_CAP:,} more characters)") == 2
    assert pages(pdf) < 40


def test_an_unbroken_20_kb_token_wraps() -> None:
    token = "A" * 20_000
    snapshot = with_row(sample_snapshot(), "access.sso", comment=token)
    snapshot = snapshot.model_copy(update={
        "integration": snapshot.integration.model_copy(update={"data_filtering": token}),
        "vendor": snapshot.vendor.model_copy(update={"website": "https://" + "w" * 20_000}),
    })
    pdf = pdf_of(snapshot)
    assert pages(pdf) < 40
    squeezed_text = squeezed(pdf)
    # Every character of both shortened tokens is on a page (a row may run onto the next page, so the
    # page footer and header can sit between its halves in the text).
    runs = re.findall(r"A{20,}(?!ssessment)", squeezed_text)
    assert sum(map(len, runs)) == 2 * TEXT_CAP
    assert squeezed_text.count("…(16,000morecharacters)") == 2
    assert squeezed_text.count("https://" + "w" * 292 + "…(19,708morecharacters)") == 1
    # Wrapped: no line of text is longer than a line of the page holds (without `overflow-wrap:
    # anywhere` the token is one 4,001-character line running off the page).
    lines = [line for page in PdfReader(BytesIO(pdf)).pages for line in page.extract_text().splitlines()]
    assert max(map(len, lines)) < 200


def test_long_runs_get_invisible_break_opportunities() -> None:
    assert render._break_opportunities("a " + "x" * 25) == "a " + "\u200b".join(["x" * 10, "x" * 10, "x" * 5])
    assert render._break_opportunities("x" * 20) == "x" * 20
    assert render._break_opportunities("e\u0301" * 11) == "e\u0301" * 5 + "\u200b" + "e\u0301" * 5 + "\u200b" + "e\u0301"
    assert render._break_opportunities(42) == 42


def test_hostile_tokens_in_every_answer_render_in_time() -> None:
    """A vendor respondent may fill every comment with 4,000 characters without a space (the API's
    limit); the record must still print well within the worker's timeout."""
    snapshot = sample_snapshot()
    for row in snapshot.responses[1].rows:
        snapshot = with_row(snapshot, row.question_id, comment="T" * 4_000)
    started = time.monotonic()
    pdf = pdf_of(snapshot, timeout=60)
    assert time.monotonic() - started < 30
    # every character is printed (a comment may run onto the next page, past its header and footer)
    assert sum(map(len, re.findall("T{20,}", squeezed(pdf)))) == 4_000 * len(snapshot.responses[1].rows)


def test_the_pdf_title_has_no_added_characters() -> None:
    snapshot = sample_snapshot(integration={"name": "log-drain-" + "x" * 40})
    pdf = html_to_pdf(render_html(build_record(snapshot, sample_decision())))
    assert PdfReader(BytesIO(pdf)).metadata.title == f"Assessment record #42: log-drain-{'x' * 40} (Logbright)"


# --- the worker ----------------------------------------------------------------------------------

def hang(view: RecordView, snapshot_json: bytes) -> bytes:
    """A render that never finishes (runs in the worker)."""
    time.sleep(600)
    return b""


def crash(view: RecordView, snapshot_json: bytes) -> bytes:
    """A render whose process dies (a segfault in a C library looks like this)."""
    os._exit(70)


def hog(view: RecordView, snapshot_json: bytes) -> bytes:
    """A render that wants more memory than the worker may have."""
    return bytes(bytearray(4 * 1024**3))


def hang_or_slow(view: RecordView, snapshot_json: bytes) -> bytes:
    """Hangs for b"hang", takes three seconds for b"slow", else renders."""
    if snapshot_json == b"hang":
        time.sleep(600)
    if snapshot_json == b"slow":
        time.sleep(3)
    return render._render_job(view, snapshot_json)


def _worker_pids() -> list[int]:
    return list((getattr(render._pool, "_processes", None) or {}).keys())


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "State:\tZ" not in status.read()
    except FileNotFoundError:
        return False


def test_a_render_that_runs_too_long_is_killed_and_the_next_one_works(monkeypatch: pytest.MonkeyPatch) -> None:
    view = small_view()
    monkeypatch.setattr(render, "_job", hang)
    started = time.monotonic()
    with pytest.raises(RecordRenderFailed, match="took longer than 2 s") as failed:
        render.render_record_pdf(view, b"{}", timeout=2)
    assert time.monotonic() - started < 15
    assert failed.value.status_code == 503
    assert render._pool is None  # discarded; its workers were killed

    monkeypatch.setattr(render, "_job", render._render_job)
    pdf = render.render_record_pdf(view, b"{}")
    assert "Approved with conditions" in text_of(pdf)


def test_killed_workers_are_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    render.render_record_pdf(small_view(), b"{}")  # a warm pool
    pids = _worker_pids()
    assert pids
    monkeypatch.setattr(render, "_job", hang)
    with pytest.raises(RecordRenderFailed):
        render.render_record_pdf(small_view(), b"{}", timeout=1)
    assert not any(_alive(pid) for pid in pids)


def test_a_crashed_worker_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "_job", crash)
    with pytest.raises(RecordRenderFailed, match="stopped unexpectedly"):
        render.render_record_pdf(small_view(), b"{}")
    monkeypatch.setattr(render, "_job", render._render_job)
    assert "Approved with conditions" in text_of(render.render_record_pdf(small_view(), b"{}"))


def test_a_render_over_the_memory_limit_fails_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "_job", hog)
    with pytest.raises(RecordRenderFailed, match="more than 512 MB"):
        render.render_record_pdf(small_view(), b"{}", memory_limit_mb=512)
    monkeypatch.setattr(render, "_job", render._render_job)
    assert "Approved with conditions" in text_of(render.render_record_pdf(small_view(), b"{}"))


def test_render_html_takes_only_a_view() -> None:
    view = build_record(sample_snapshot(), sample_decision())
    with pytest.raises(TypeError):
        render_html({"title": "x"})  # type: ignore[arg-type]
    assert render_html(replace(view, title="A & B")).count("<title>A &amp; B</title>") == 1


def test_a_render_killed_by_another_renders_timeout_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    view = small_view()
    monkeypatch.setattr(render, "_job", hang_or_slow)
    with ThreadPoolExecutor(2) as threads:
        slow = threads.submit(render.render_record_pdf, view, b"slow", timeout=30)
        time.sleep(0.5)
        hung = threads.submit(render.render_record_pdf, view, b"hang", timeout=2)
        with pytest.raises(RecordRenderFailed, match="took longer than 2 s"):
            hung.result()
        assert attachments(slow.result()) == {"assessment.json": [b"slow"]}  # retried on a fresh pool


def test_a_render_waits_for_a_free_worker_then_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    view = small_view()
    monkeypatch.setattr(render, "_job", hang_or_slow)
    with ThreadPoolExecutor(2) as threads:
        busy = [threads.submit(render.render_record_pdf, view, b"hang", timeout=4) for _ in range(2)]
        time.sleep(0.5)
        with pytest.raises(RecordRenderFailed, match="both PDF workers stayed busy") as failed:
            render.render_record_pdf(view, b"{}", timeout=1)
        assert failed.value.headers == {"Retry-After": "60"}
        for future in busy:
            with pytest.raises(RecordRenderFailed, match="took longer than 4 s"):
                future.result()
    monkeypatch.setattr(render, "_job", render._render_job)
    assert "Approved with conditions" in text_of(render.render_record_pdf(view, b"{}"))


def test_pages_show_a_snapshot_s_answers_in_the_record_s_words() -> None:
    # The assessment page reads the snapshot as stored (JSON) and words each answer as the record does.
    from app.assessments.record import shown_answers
    stored = sample_snapshot().model_dump(mode="json")  # as the assessment row keeps it
    shown = {qid: words for response in stored["responses"] for qid, words in shown_answers(response).items()}
    assert shown["access.mfa_staff"] == "All staff, using app-based or push factors"  # the option's label
    assert shown["gov.security_policy"] == "Yes" and shown["access.offboarding_hours"] == "24"
