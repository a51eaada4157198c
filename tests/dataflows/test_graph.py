"""The pure map: flags by the documents policy, edges and nodes for small estates, determinism, and
properties over random estates (every edge joins two nodes; the drawing never overlaps and always parses)."""

import random
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.dataflows.graph import (
    AddonFact,
    AgreementFact,
    AppFact,
    Estate,
    Filters,
    FlagCode,
    IntegrationFact,
    Layer,
    SubprocessorFact,
    VendorFact,
    build_map,
    effective_categories,
    flow_flags,
)
from app.dataflows.processing import build_record
from app.dataflows.svg import NODE_H, ROW, layout, render_svg
from app.documents.policy import VendorFacts

ON = date(2026, 11, 29)


def facts(*, dpa: int | None = None, baa: int | None = None, pci: int | None = None, **mechanisms: int) -> VendorFacts:
    in_force = {k: v for k, v in (("dpa", dpa), ("baa", baa), ("pci_aoc", pci)) if v}
    return VendorFacts(on=ON, dpa=dpa, baa=baa, pci_aoc=pci, mechanisms=mechanisms, in_force=in_force)


def vendor(vid: int, name: str = "", *, locations=("US",), subprocessors=(), f: VendorFacts | None = None,
           agreements=()) -> VendorFact:
    f = f or facts()
    if not agreements:  # the documents the facts cite, as the service loads them
        cited = {**{doc: kind for kind, doc in f.in_force.items()}, **{doc: "scc" for doc in f.mechanisms.values()
                                                                         if doc not in f.in_force.values()}}
        agreements = [AgreementFact(doc, kind, f"{kind.upper()} {doc}", f"{doc:064x}") for doc, kind in sorted(cited.items())]
    return VendorFact(id=vid, name=name or f"Vendor {vid}", legal_name=f"{name or vid} Inc.", country="US",
                      status="active", data_locations=tuple(locations), subprocessors=tuple(subprocessors),
                      facts=f, agreements=tuple(agreements))


def integration(iid: int, vid: int, *, categories=("customer_personal",), countries=(), app=None, name=None,
                kind="saas") -> IntegrationFact:
    return IntegrationFact(id=iid, vendor_id=vid, name=name or f"Integration {iid}", kind=kind if not app else "heroku_addon",
                           status="approved", purpose="Support", data_categories=tuple(categories),
                           transfer_countries=tuple(countries), heroku_app=app, addon_plan="x:y" if app else None)


@pytest.mark.parametrize(("categories", "countries", "vendor_facts", "codes"), [
    (("customer_personal",), ("IE",), facts(), ["no_dpa"]),
    (("customer_personal",), ("IE",), facts(dpa=1), []),
    (("customer_personal",), ("IN",), facts(dpa=1), ["transfer_without_mechanism"]),
    (("customer_personal",), ("IN",), facts(dpa=1, scc=2), []),
    (("customer_personal",), ("IN",), facts(dpa=1, bcr=2), []),
    (("customer_personal",), ("IN",), facts(dpa=1, dpf=2), ["transfer_without_mechanism"]),  # DPF is for the US only
    (("customer_personal",), ("US",), facts(dpa=1, dpf=2), []),
    (("customer_personal",), ("US",), facts(dpa=1), ["transfer_without_mechanism"]),
    (("customer_personal",), ("GB", "CH", "JP", "DE", "NO"), facts(dpa=1), []),  # adequacy or EEA
    (("logs_telemetry",), ("IN",), facts(), []),  # no personal data: GDPR's transfer rules do not apply
    (("none",), ("IN",), facts(), []),
    (("phi",), ("US",), facts(dpa=1, dpf=2), ["phi_without_baa"]),
    (("phi",), ("US",), facts(dpa=1, baa=3, dpf=2), []),
    (("cardholder",), ("IE",), facts(dpa=1), ["cardholder_without_pci_aoc"]),
    (("cardholder",), ("IE",), facts(dpa=1, pci=4), []),
    (("phi", "cardholder"), ("IN",), facts(), ["cardholder_without_pci_aoc", "no_dpa", "phi_without_baa",
                                               "transfer_without_mechanism"]),
])
def test_flow_flags_follow_the_documents_policy(categories, countries, vendor_facts, codes):
    flags = flow_flags(categories, countries, vendor_facts, vendor_name="Acme")
    assert sorted(f.code.value for f in flags) == codes
    for flag in flags:
        if flag.code is FlagCode.transfer_without_mechanism:
            assert flag.countries and set(flag.countries) <= set(countries)


@pytest.mark.parametrize(("own", "inherited", "expected"), [
    (("none",), (), ("none",)),
    (("none",), ("phi",), ("phi",)),
    (("logs_telemetry", "customer_personal"), (), ("customer_personal", "logs_telemetry")),
    ((), (), ()),
    (("phi",), ("phi",), ("phi",)),
])
def test_effective_categories(own, inherited, expected):
    assert effective_categories(own, inherited) == expected


def test_a_shared_subprocessor_is_one_node_fed_by_each_vendor():
    aws = SubprocessorFact("Amazon Web Services", "Hosting", "US")
    estate = Estate(
        vendors=(vendor(1, subprocessors=[aws], f=facts(dpa=1, dpf=9)),
                 vendor(2, subprocessors=[replace(aws, name="amazon  web services", purpose="Backups")], f=facts(dpa=2))),
        integrations=(integration(10, 1, countries=("US",)), integration(11, 2, categories=("logs_telemetry",))),
    )
    flow = build_map(estate, on=ON)

    [sp] = flow.nodes_in(Layer.subprocessor)
    assert sp.id == "subprocessor:amazon web services|US" and sp.label == "Amazon Web Services"
    into = {e.source: e for e in flow.edges if e.target == sp.id}
    assert set(into) == {"vendor:1", "vendor:2"}
    assert into["vendor:1"].flags == ()  # vendor 1 has DPF for the US
    assert into["vendor:2"].flags == ()  # vendor 2 passes on logs only: not personal data
    assert into["vendor:2"].purpose == "Backups"


def test_a_vendor_that_receives_nothing_passes_nothing_on():
    estate = Estate(vendors=(vendor(1, subprocessors=[SubprocessorFact("S3", "Hosting", "US")]),),
                    integrations=(integration(10, 1, categories=("none",)),))
    flow = build_map(estate, on=ON)
    assert flow.nodes_in(Layer.subprocessor) == []
    assert [e.id for e in flow.edges] == ["integration:10->vendor:1"]


def test_an_app_nobody_imported_still_appears_and_a_shadow_addon_without_a_vendor_stops_at_the_addon():
    estate = Estate(
        vendors=(vendor(1, f=facts(dpa=1)),),
        integrations=(integration(10, 1, app="acme-new"),),
        addons=(AddonFact(5, "mystery-addon-1", "acme-new", None, None, None),),
    )
    flow = build_map(estate, on=ON)
    app = next(n for n in flow.nodes if n.id == "app:acme-new")
    assert app.detail == "not imported yet" and app.countries == ()
    shadow_edges = [e for e in flow.edges if "addon:5" in (e.source, e.target)]
    assert [(e.source, e.target) for e in shadow_edges] == [("app:acme-new", "addon:5")]
    assert [f.code for f in shadow_edges[0].flags] == [FlagCode.shadow_addon]


def test_vendor_nodes_cite_the_agreements_in_force():
    dpa = AgreementFact(7, "dpa", "DPA 2026", "a" * 64, effective_on=date(2026, 1, 1), transfer_mechanism="scc")
    baa = AgreementFact(8, "baa", "BAA", "b" * 64)
    estate = Estate(vendors=(vendor(1, f=replace(facts(dpa=7, baa=8, scc=7)), agreements=[dpa, baa]),),
                    integrations=(integration(10, 1, categories=("phi",), countries=("IN",)),))
    node = next(n for n in build_map(estate, on=ON).nodes if n.id == "vendor:1")
    assert node.agreement == dpa and set(node.agreements) == {dpa, baa}
    assert node.transfer_mechanisms == ("scc",) and node.flags == ()


def random_estate(seed: int, *, integrations: int = 40) -> Estate:
    rng = random.Random(seed)
    countries = ["US", "IE", "IN", "DE", "GB", "BR", "JP"]
    categories = ["none", "business_contact", "customer_personal", "phi", "cardholder", "logs_telemetry"]
    subs = [SubprocessorFact(n, "Hosting", rng.choice(countries)) for n in ("AWS", "GCP", "Azure", "Hetzner", "OVH")]
    vendors = tuple(
        vendor(v, f"Vendor {v} " + "x" * rng.randrange(0, 60), locations=rng.sample(countries, rng.randrange(0, 3)),
               subprocessors=rng.sample(subs, rng.randrange(0, 3)),
               f=facts(dpa=v if rng.random() < 0.6 else None, baa=v if rng.random() < 0.3 else None,
                       **({"scc": v} if rng.random() < 0.4 else {})))
        for v in range(1, 1 + max(2, integrations // 4))
    )
    apps = tuple(AppFact(f"app-{a}", region=rng.choice(["us", "eu", None]),
                         data_categories=tuple(rng.sample(["phi", "customer_personal"], rng.randrange(0, 2))))
                 for a in range(4))
    items = tuple(
        integration(i, rng.choice(vendors).id, categories=rng.sample(categories[1:], rng.randrange(1, 3)),
                    countries=rng.sample(countries, rng.randrange(0, 3)),
                    app=rng.choice([None, *(a.name for a in apps)]), name=f"<i>{i}</i> " + "y" * rng.randrange(0, 80))
        for i in range(1, integrations + 1)
    )
    addons = tuple(AddonFact(a, f"addon-{a}", rng.choice(apps).name, "s:p", "s", rng.choice([None, vendors[0].id]))
                   for a in range(1, 4))
    return Estate(apps=apps, integrations=items, vendors=vendors, addons=addons)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(0, 60),
       category=st.sampled_from([None, "phi", "customer_personal", "logs_telemetry"]))
def test_every_edge_joins_two_nodes_and_the_map_is_deterministic(seed, size, category):
    estate = random_estate(seed, integrations=size)
    filters = Filters(data_category=category)
    flow = build_map(estate, on=ON, filters=filters)

    ids = [n.id for n in flow.nodes]
    assert len(ids) == len(set(ids))
    assert all(e.source in ids and e.target in ids for e in flow.edges)
    assert all(e.highlight for e in flow.edges if e.flags)
    if category:
        assert all(category in e.data_categories for e in flow.edges if e.source.startswith("integration:"))
    shuffled = replace(estate, integrations=tuple(reversed(estate.integrations)), vendors=tuple(reversed(estate.vendors)))
    assert build_map(shuffled, on=ON, filters=filters) == flow
    assert render_svg(build_map(shuffled, on=ON, filters=filters)) == render_svg(flow)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(0, 80))
def test_the_drawing_never_overlaps_and_always_parses(seed, size):
    flow = build_map(random_estate(seed, integrations=size), on=ON)
    plan = layout(flow)

    assert set(plan.boxes) == {n.id for n in flow.nodes}
    for x in plan.columns:
        ys = sorted(b.y for b in plan.boxes.values() if b.x == x)
        assert all(b - a >= ROW for a, b in zip(ys, ys[1:], strict=False))
        assert all(y + NODE_H <= plan.height for y in ys)
    ET.fromstring(render_svg(flow))


def test_the_record_of_processing_is_built_from_the_same_facts():
    estate = Estate(
        apps=(AppFact("clinic", data_categories=("phi",)),),
        vendors=(vendor(1, "Zendesk", locations=("IE",), subprocessors=[SubprocessorFact("Support Co", "Tier 1", "IN")],
                        f=facts(dpa=3)),
                 vendor(2, "Quiet", locations=("DE",)),
                 vendor(3, "Mail", f=facts(dpa=5, dpf=5))),
        integrations=(integration(10, 1, countries=("IE",), name="Support"),
                      integration(11, 1, categories=("business_contact",), countries=("IE",), name="CRM sync"),
                      integration(12, 3, categories=("business_contact",), app="clinic", name="Mail")),
    )
    record = build_record(estate, on=ON, scope="current")

    assert [e.vendor for e in record.entries] == ["Mail", "Zendesk"]  # Quiet receives nothing: not a recipient
    mail, zendesk = record.entries
    assert zendesk.integrations == ("CRM sync (saas, approved)", "Support (saas, approved)")
    assert zendesk.data_categories == ("business_contact", "customer_personal")
    assert zendesk.countries == ("IE",) and zendesk.third_countries == ("IN",)  # through its sub-processor
    assert zendesk.uncovered_countries == ("IN",) and zendesk.transfer_mechanisms == ()
    assert mail.data_categories == ("business_contact", "phi")  # the app's PHI reaches the add-on's vendor
    assert mail.transfer_mechanisms == ("dpf (document 5)",) and mail.uncovered_countries == ()
    assert any("BAA" in f for f in mail.findings)
    assert record.without_dpa == 0 and record.with_uncovered_transfers == 1
