"""The record of processing's HTML: autoescaped by the assessment record's environment, and only
document templates from app/templates/pdf can be named."""

from datetime import date

import pytest

from app.assessments.render import render_document_html
from app.dataflows.processing import ProcessingDocument, build_record
from app.exports.service import PDF_TEMPLATE
from tests.dataflows.test_graph import facts, integration, vendor


def view(name: str) -> ProcessingDocument:
    from app.dataflows.graph import Estate

    estate = Estate(vendors=(vendor(1, name, f=facts(dpa=2)),), integrations=(integration(10, 1, name=name),))
    record = build_record(estate, on=date(2026, 11, 29), scope="current")
    return ProcessingDocument(title=f"Record <{name}>", created="2026-11-29T10:00:00Z", record=record)


def test_every_value_is_escaped():
    hostile = '<script>alert(1)</script><link rel=attachment href="file:///etc/passwd">{{7*7}}'
    html = render_document_html(PDF_TEMPLATE, view(hostile))

    assert "<script>" not in html and "<link rel=attachment" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "{{7*7}}" in html
    assert html.count('<link rel="stylesheet"') == 2  # the two stylesheets from the static folder, nothing else


@pytest.mark.parametrize("name", ["../record.html", "record.html", "_macros.html", "record_of_processing.txt",
                                  "/etc/passwd", "Record_Of_Processing.html"])
def test_only_document_templates_can_be_named(name):
    with pytest.raises(ValueError):
        render_document_html(name, view("x"))


def test_an_auto_renewed_dpa_shows_the_term_in_force_beside_its_stated_expiry():
    from dataclasses import replace

    from app.dataflows.graph import AgreementFact, Estate

    dpa = AgreementFact(2, "dpa", "Renewing DPA", "a" * 64, effective_on=date(2022, 1, 1), expires_on=date(2023, 1, 1),
                        ends_on=date(2027, 1, 1))
    estate = Estate(vendors=(replace(vendor(1, "Renewing", f=facts(dpa=2)), agreements=(dpa,)),),
                    integrations=(integration(10, 1),))
    record = build_record(estate, on=date(2026, 11, 29), scope="current")
    html = render_document_html(PDF_TEMPLATE, ProcessingDocument(title="t", created="2026-11-29T10:00:00Z",
                                                                 record=record))

    assert "expires 2023-01-01 · current term ends 2027-01-01 · in_force" in html
