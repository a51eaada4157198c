"""The data-flow map over the API and on its page: exact edges for a fixture estate, flags that clear when
the missing agreement is uploaded, filters, the SVG download, and a constant number of queries."""

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import event

from app.dataflows.svg import FLAGGED
from tests.dataflows.estate import FixtureEstate, edges_of, expected_edges, make_fixture_estate, set_status
from tests.documents.helpers import pdf_bytes, upload
from tests.factories import bearer, make_integration, make_token, make_user, make_vendor
from tests.web.helpers import PASSWORD, post_login

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def estate(db, client) -> FixtureEstate:
    return make_fixture_estate(db, client)


def flow_map(client, **params):
    response = client.get("/api/v1/data-flows", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def flags_between(body, source, target):
    return sorted(f["code"] for e in body["edges"] if e["source"] == source and e["target"] == target for f in e["flags"])


def test_the_map_of_the_fixture_estate_has_exactly_the_expected_edges(client, estate):
    body = flow_map(client)

    assert edges_of(body) == expected_edges(estate)
    assert body["counts"] == {"app": 2, "integration": 4, "vendor": 4, "subprocessor": 3}
    assert f"integration:{estate.retired}" not in {n["id"] for n in body["nodes"]}  # retired: no longer flows
    assert body["flag_counts"] == {"phi_without_baa": 1, "shadow_addon": 1, "transfer_without_mechanism": 2}


def test_edges_carry_filtering_countries_and_nodes_the_agreement_in_force(client, estate):
    body = flow_map(client)
    edges = {(e["source"], e["target"]): e for e in body["edges"]}
    nodes = {n["id"]: n for n in body["nodes"]}

    to_zendesk = edges[(f"integration:{estate.support}", f"vendor:{estate.zendesk}")]
    assert to_zendesk["filtering"] == "Only the ticket subject and the requester's e-mail"
    assert to_zendesk["countries"] == ["IE", "IN"]  # the integration's transfer country and the vendor's location
    assert to_zendesk["highlight"] is True
    [flag] = to_zendesk["flags"]
    assert flag["countries"] == ["IN"] and "IN" in flag["message"] and flag["severity"] == "high"
    clinic = edges[("app:acme-clinic", f"integration:{estate.mail}")]
    assert clinic["inherited_categories"] == ["phi"] and clinic["highlight"] is True  # leads into a flagged flow

    zendesk = nodes[f"vendor:{estate.zendesk}"]
    assert zendesk["agreement"]["document_id"] == estate.zendesk_dpa
    assert zendesk["agreement"]["title"] == "Zendesk DPA" and len(zendesk["agreement"]["sha256"]) == 64
    assert zendesk["countries"] == ["IE"] and zendesk["headquarters"] == "US"
    mailgun = nodes[f"vendor:{estate.mailgun}"]
    assert mailgun["transfer_mechanisms"] == ["dpf"]
    assert nodes[f"vendor:{estate.papertrail}"]["agreement"] is None
    assert nodes["app:acme-web"]["countries"] == ["IE"]  # Heroku's eu region runs in Dublin
    assert nodes[f"addon:{estate.shadow}"]["kind"] == "shadow_addon"


def test_a_transfer_to_india_is_flagged_until_sccs_are_uploaded(client, estate):
    support, zendesk = f"integration:{estate.support}", f"vendor:{estate.zendesk}"
    support_co = "subprocessor:support co|IN"
    before = flow_map(client)
    assert flags_between(before, support, zendesk) == ["transfer_without_mechanism"]
    assert flags_between(before, zendesk, support_co) == ["transfer_without_mechanism"]

    scc = upload(client, estate.zendesk, pdf_bytes("SCC module 2"), type="scc", title="Standard contractual clauses",
                 effective_on="2025-02-01")
    assert scc.status_code == 201, scc.text

    after = flow_map(client)
    assert flags_between(after, support, zendesk) == []
    assert flags_between(after, zendesk, support_co) == []
    zendesk_node = next(n for n in after["nodes"] if n["id"] == zendesk)
    assert zendesk_node["transfer_mechanisms"] == ["scc"]
    assert scc.json()["id"] in {a["document_id"] for a in zendesk_node["agreements"]}
    assert "transfer_without_mechanism" not in after["flag_counts"]


def test_a_dpa_naming_scc_clears_the_transfer_flag_too(client, estate):
    renewed = upload(client, estate.zendesk, pdf_bytes("Zendesk DPA v2"), type="dpa", title="Zendesk DPA v2",
                     transfer_mechanism="scc", supersedes_id=estate.zendesk_dpa, effective_on="2025-06-01")
    assert renewed.status_code == 201, renewed.text

    body = flow_map(client)

    assert flags_between(body, f"integration:{estate.support}", f"vendor:{estate.zendesk}") == []
    zendesk = next(n for n in body["nodes"] if n["id"] == f"vendor:{estate.zendesk}")
    assert zendesk["agreement"]["document_id"] == renewed.json()["id"]  # the new version is the one in force


def test_phi_without_a_baa_is_flagged_until_one_is_uploaded(client, estate):
    mail, mailgun = f"integration:{estate.mail}", f"vendor:{estate.mailgun}"
    assert flags_between(flow_map(client), mail, mailgun) == ["phi_without_baa"]

    baa = upload(client, estate.mailgun, pdf_bytes("Mailgun BAA"), type="baa", title="Business associate agreement",
                 effective_on="2025-01-01")
    assert baa.status_code == 201, baa.text

    assert flags_between(flow_map(client), mail, mailgun) == []


def test_an_expired_baa_does_not_count(client, estate):
    baa = upload(client, estate.mailgun, pdf_bytes("Old BAA"), type="baa", title="Old BAA",
                 effective_on="2020-01-01", expires_on="2021-01-01")
    assert baa.status_code == 201

    assert flags_between(flow_map(client), f"integration:{estate.mail}", f"vendor:{estate.mailgun}") == ["phi_without_baa"]
    # On a day it was in force, the BAA counts (and the DPA, effective from 2025, does not yet).
    assert flags_between(flow_map(client, on="2020-06-01"), f"integration:{estate.mail}", f"vendor:{estate.mailgun}") \
        == ["no_dpa", "transfer_without_mechanism"]


def test_cardholder_data_needs_a_pci_aoc(client, db, estate):
    vendor = make_vendor(db, name="Payments Ltd", country="IE", data_locations=["IE"], subprocessors=[])
    payments = make_integration(db, vendor, name="Card vault", data_categories=["cardholder"], transfer_countries=["IE"])
    db.commit()
    edge = (f"integration:{payments.id}", f"vendor:{vendor.id}")
    assert flags_between(flow_map(client), *edge) == ["cardholder_without_pci_aoc", "no_dpa"]

    assert upload(client, vendor.id, pdf_bytes("AoC"), type="pci_aoc", title="PCI DSS AoC",
                  effective_on="2026-01-15").status_code == 201
    assert upload(client, vendor.id, pdf_bytes("Payments DPA"), type="dpa", title="DPA").status_code == 201

    assert flags_between(flow_map(client), *edge) == []


@pytest.mark.parametrize(("params", "kept"), [
    ({"app": "acme-clinic"}, {"app:acme-clinic", "mail", "mailgun"}),
    ({"data_category": "customer_personal"}, {"support", "zendesk", "subprocessor:amazon web services|IE",
                                              "subprocessor:support co|IN"}),
    ({"data_category": "phi"}, {"app:acme-clinic", "mail", "mailgun"}),  # inherited from the app
    ({"vendor": "papertrail"}, {"app:acme-web", "logs", "papertrail", "subprocessor:amazon web services|US"}),
    ({"scope": "approved", "shadow": "false"}, {"app:acme-web", "logs", "papertrail",
                                                "subprocessor:amazon web services|US"}),
])
def test_filters_narrow_the_map(client, estate, params, kept):
    ids = {"mail": f"integration:{estate.mail}", "mailgun": f"vendor:{estate.mailgun}",
           "support": f"integration:{estate.support}", "zendesk": f"vendor:{estate.zendesk}",
           "logs": f"integration:{estate.logs}", "papertrail": f"vendor:{estate.papertrail}"}
    if "vendor" in params:  # a vendor id is known only once the estate is made
        params = {"vendor_id": getattr(estate, params["vendor"])}
    body = flow_map(client, **params)

    assert {n["id"] for n in body["nodes"]} == {ids.get(k, k) for k in kept}
    assert body["filters"]["scope"] == params.get("scope", "current")


def test_unknown_filters_and_bad_values_are_refused(client, estate):
    assert client.get("/api/v1/data-flows", params={"catgory": "phi"}).status_code == 422
    assert client.get("/api/v1/data-flows", params={"data_category": "secrets"}).status_code == 422
    assert client.get("/api/v1/data-flows", params={"scope": "everything"}).status_code == 422


@pytest.mark.parametrize("name", ["acme\x00web", "acme web", "ACME-WEB", "acme-web\n"])
def test_an_app_filter_that_is_not_an_app_name_is_refused_before_it_reaches_sql(client, estate, name):
    # A NUL made PostgreSQL fail the query (500); only Heroku app names are taken, as the add-on list does.
    for path in ("/api/v1/data-flows", "/api/v1/data-flows.svg"):
        response = client.get(path, params={"app": name})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"] == "ValidationError"


def test_the_svg_download_is_well_formed_and_highlights_flagged_flows(client, db, estate):
    vendor = make_vendor(db, name="<script>alert(1)</script>", country="US", data_locations=["US"])
    make_integration(db, vendor, name="Evil & <b>bold</b>", data_categories=["customer_personal"])
    db.commit()

    response = client.get("/api/v1/data-flows.svg")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["content-disposition"].startswith('attachment; filename="riskreg-data-flows-')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in response.text and "&lt;script&gt;" in response.text
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG}svg"
    assert not root.findall(f".//{SVG}script")
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert any(t.startswith("<script>alert(1)</script>") for t in titles)  # the full name, as text
    assert any(p.get("stroke") == FLAGGED for p in root.iter(f"{SVG}path"))


def test_the_map_is_loaded_in_a_constant_number_of_queries(client, db, connection, estate):
    def statements() -> int:
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            seen.append(statement)

        event.listen(connection, "before_cursor_execute", count)
        try:
            assert client.get("/api/v1/data-flows").status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", count)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    small = statements()
    for n in range(12):
        vendor = make_vendor(db, name=f"Bulk vendor {n}", subprocessors=[{"name": f"Sub {n}", "purpose": "Hosting",
                                                                           "country": "US"}])
        make_integration(db, vendor, name=f"Bulk integration {n}")
        upload(client, vendor.id, pdf_bytes(f"DPA {n}"), type="dpa", title=f"DPA {n}")
    db.commit()

    assert statements() == small


def test_every_role_reads_the_map_but_only_some_export(anonymous, db, estate):
    for role, may_export in (("engineer", False), ("procurement", True), ("auditor", True), ("legal", True)):
        headers = bearer(make_token(db, make_user(db, role=role)))
        db.commit()
        assert anonymous.get("/api/v1/data-flows", headers=headers).status_code == 200, role
        status = anonymous.get("/api/v1/exports/vendors.csv", headers=headers).status_code
        assert status == (200 if may_export else 403), role


# --- the page ---------------------------------------------------------------------------------------

@pytest.fixture
def signed_in(db, anonymous):
    def as_role(role: str):
        user = make_user(db, role=role, password=PASSWORD)
        db.commit()
        assert post_login(anonymous, user.email).status_code == 303
        return anonymous

    return as_role


def test_the_page_shows_the_map_filters_and_agreements(signed_in, db, estate):
    make_vendor(db, name="<script>alert('x')</script>")
    db.commit()
    page = signed_in("legal").get("/data-flows", params={"data_category": "customer_personal"})

    assert page.status_code == 200
    assert page.template.name == "dataflows/map.html"  # type: ignore[attr-defined]
    flow = page.context["map"]  # type: ignore[attr-defined]
    assert {n.id for n in flow.nodes} >= {f"vendor:{estate.zendesk}", f"integration:{estate.support}"}
    assert f"vendor:{estate.mailgun}" not in {n.id for n in flow.nodes}
    assert "<svg" in page.text and 'value="customer_personal" selected' in page.text
    assert "Zendesk DPA" in page.text  # the agreement in force, in the vendors table
    assert "transfer without a mechanism" in page.text  # the flagged flows table
    assert "/exports/record-of-processing.pdf" in page.text
    assert "<script>alert" not in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_page_names_a_bad_filter_instead_of_failing(signed_in, estate):
    page = signed_in("engineer").get("/data-flows", params={"data_category": "<b>x</b>", "vendor_id": "abc"})

    assert page.status_code == 200
    assert "is not a data category" in page.text and "&lt;b&gt;x&lt;/b&gt;" in page.text
    assert "/exports/record-of-processing.pdf" not in page.text  # engineers may not export


def test_the_page_names_an_app_that_is_not_an_app_name_and_shows_every_app(signed_in, estate):
    client = signed_in("legal")
    page = client.get("/data-flows", params={"app": "acme\x00web"})
    assert page.status_code == 200
    assert "is not a Heroku app name" in page.text
    assert page.context["filters"].app is None  # type: ignore[attr-defined]

    svg = client.get("/data-flows.svg", params={"app": "acme\x00web"})
    assert svg.status_code == 200, svg.text
    assert "Zendesk" in svg.text  # the whole estate, not an error


def test_the_page_downloads_work_with_the_session_cookie(signed_in, estate):
    client = signed_in("auditor")
    svg = client.get("/data-flows.svg", params={"app": "acme-web"})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    ET.fromstring(svg.text)
    csv = client.get("/exports/record-of-processing.csv")
    assert csv.status_code == 200 and "Zendesk" in csv.text


def test_an_engineer_is_refused_the_page_exports(signed_in, estate):
    assert signed_in("engineer").get("/exports/record-of-processing.csv").status_code == 403


def test_the_page_needs_a_sign_in(anonymous):
    response = anonymous.get("/data-flows", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_approved_scope_leaves_out_requests(client, db, estate):
    set_status(db, estate.support, "approved")
    db.commit()
    body = flow_map(client, scope="approved")
    assert f"integration:{estate.support}" in {n["id"] for n in body["nodes"]}
    assert f"integration:{estate.mail}" not in {n["id"] for n in body["nodes"]}
