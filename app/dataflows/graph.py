"""The data-flow map as a graph: Heroku app → integration (add-on, SaaS, API) → vendor → sub-processor.

Pure: the facts come in as frozen values (loaded by app.dataflows.service), the map comes out as frozen
values. Every edge carries the data categories crossing it and the filtering applied; every node its
countries and, for a vendor, the agreements in force. Flags mark what the register's gates would refuse:
personal data without a DPA, a transfer to a country without adequacy and without a mechanism (judged
by app.documents.policy), PHI without a BAA, cardholder data without a PCI AoC, and add-ons installed
with no approved integration behind them (shadow).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from app.documents.policy import GDPR_CATEGORIES, VendorFacts

VERSION = "dataflows/1"


class Layer(StrEnum):
    app = "app"
    integration = "integration"
    vendor = "vendor"
    subprocessor = "subprocessor"


LAYERS: tuple[Layer, ...] = tuple(Layer)


class FlagCode(StrEnum):
    no_dpa = "no_dpa"
    transfer_without_mechanism = "transfer_without_mechanism"
    phi_without_baa = "phi_without_baa"
    cardholder_without_pci_aoc = "cardholder_without_pci_aoc"
    shadow_addon = "shadow_addon"


SEVERITY: dict[FlagCode, str] = {
    FlagCode.no_dpa: "high",
    FlagCode.transfer_without_mechanism: "high",
    FlagCode.phi_without_baa: "critical",
    FlagCode.cardholder_without_pci_aoc: "critical",
    FlagCode.shadow_addon: "high",
}

# Where a Heroku region runs (Common Runtime regions and Private Space regions); others stay unknown.
HEROKU_REGION_COUNTRY: dict[str, str] = {
    "us": "US", "eu": "IE", "virginia": "US", "oregon": "US", "dublin": "IE", "frankfurt": "DE",
    "london": "GB", "montreal": "CA", "mumbai": "IN", "singapore": "SG", "sydney": "AU", "tokyo": "JP",
}


# --- facts in -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgreementFact:
    """A document in force that a vendor's policy facts cite (a DPA, SCCs, a BAA, a PCI AoC...)."""

    document_id: int
    type: str
    title: str
    sha256: str
    signed_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    ends_on: date | None = None  # the end of the current term (auto-renewal rolled forward); None: open-ended
    status: str = "in_force"
    transfer_mechanism: str | None = None


@dataclass(frozen=True)
class SubprocessorFact:
    name: str
    purpose: str
    country: str


@dataclass(frozen=True)
class VendorFact:
    id: int
    name: str
    legal_name: str
    country: str  # headquarters
    status: str
    data_locations: tuple[str, ...]
    subprocessors: tuple[SubprocessorFact, ...]
    facts: VendorFacts  # what its documents establish on the map's day
    agreements: tuple[AgreementFact, ...] = ()  # the documents `facts` cite

    def agreement(self, document_id: int | None) -> AgreementFact | None:
        return next((a for a in self.agreements if a.document_id == document_id), None)


@dataclass(frozen=True)
class AppFact:
    name: str
    region: str | None = None
    space: str | None = None
    shield: bool = False
    data_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntegrationFact:
    id: int
    vendor_id: int
    name: str
    kind: str
    status: str
    purpose: str
    data_categories: tuple[str, ...]
    data_filtering: str | None = None
    fields_shared: tuple[str, ...] = ()
    transfer_countries: tuple[str, ...] = ()
    heroku_app: str | None = None
    addon_plan: str | None = None


@dataclass(frozen=True)
class AddonFact:
    """An add-on installed on an app (not gone) with no integration on the map behind it: a shadow add-on."""

    id: int
    name: str
    app: str
    plan: str | None
    service: str | None
    vendor_id: int | None  # the vendor its service maps to; None when the service is not known
    integration_id: int | None = None  # a request that is not (or no longer) current, if any
    integration_status: str | None = None


@dataclass(frozen=True)
class Estate:
    apps: tuple[AppFact, ...] = ()
    integrations: tuple[IntegrationFact, ...] = ()
    vendors: tuple[VendorFact, ...] = ()
    addons: tuple[AddonFact, ...] = ()


@dataclass(frozen=True)
class Filters:
    app: str | None = None
    data_category: str | None = None
    vendor_id: int | None = None

    def admits(self, *, app: str | None, vendor_id: int | None, categories: Iterable[str]) -> bool:
        if self.app is not None and app != self.app:
            return False
        if self.vendor_id is not None and vendor_id != self.vendor_id:
            return False
        return self.data_category is None or self.data_category in categories


# --- the map out ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    code: FlagCode
    severity: str
    message: str
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Node:
    id: str
    layer: Layer
    kind: str  # heroku_app | heroku_addon | saas | api | other | shadow_addon | vendor | subprocessor
    label: str
    ref_id: int | None = None  # the integration, installation or vendor id; None for apps and sub-processors
    detail: str = ""  # one line under the name: status, purpose, legal name, space...
    countries: tuple[str, ...] = ()  # where it runs, stores or processes the data
    headquarters: str | None = None  # vendors
    data_categories: tuple[str, ...] = ()  # apps: what the app itself holds
    agreement: AgreementFact | None = None  # vendors: the DPA in force
    agreements: tuple[AgreementFact, ...] = ()  # vendors: every agreement in force the gates rely on
    transfer_mechanisms: tuple[str, ...] = ()  # vendors: scc, bcr, dpf on file
    flags: tuple[FlagCode, ...] = ()  # the codes on the flows into or out of this node


@dataclass(frozen=True)
class Edge:
    id: str
    source: str
    target: str
    data_categories: tuple[str, ...]
    filtering: str | None = None  # how we limit what is shared (the integration's data_filtering)
    fields_shared: tuple[str, ...] = ()
    inherited_categories: tuple[str, ...] = ()  # categories that come from the app, not the integration
    countries: tuple[str, ...] = ()  # where the data lands (transfer edges)
    purpose: str = ""
    integration_ids: tuple[int, ...] = ()  # the integrations whose data crosses this edge
    flags: tuple[Flag, ...] = ()
    highlight: bool = False  # flagged, or leading into a flagged flow


@dataclass(frozen=True)
class DataFlowMap:
    on: date
    filters: Filters
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    version: str = VERSION
    flag_counts: dict[str, int] = field(default_factory=dict)

    def nodes_in(self, layer: Layer) -> list[Node]:
        return [n for n in self.nodes if n.layer is layer]

    @property
    def flagged_edges(self) -> list[Edge]:
        return [e for e in self.edges if e.flags]


# --- building -------------------------------------------------------------------------------------

def effective_categories(own: Iterable[str], inherited: Iterable[str] = ()) -> tuple[str, ...]:
    """The categories crossing an edge: the integration's own plus what its app holds (an app that stores
    PHI makes every add-on on it a PHI flow), sorted; `none` only when nothing else crosses."""
    found = set(own) | set(inherited)
    real = found - {"none"}
    return tuple(sorted(real)) if real else ("none",) if found else ()


def app_countries(app: AppFact | None) -> tuple[str, ...]:
    if app is None or app.region is None:
        return ()
    country = HEROKU_REGION_COUNTRY.get(app.region.lower())
    return (country,) if country else ()


def destinations(integration_countries: Iterable[str], vendor: VendorFact) -> tuple[str, ...]:
    """Where data sent to `vendor` lands: the integration's transfer countries and the vendor's data
    locations; its headquarters when neither is recorded."""
    found = set(integration_countries) | set(vendor.data_locations)
    return tuple(sorted(found or {vendor.country}))


def flow_flags(categories: Sequence[str], countries: Sequence[str], facts: VendorFacts, *,
               vendor_name: str) -> tuple[Flag, ...]:
    """What the register's document gates would refuse for data of `categories` reaching `countries`
    under `facts`: personal data without a DPA; a country outside the EEA without adequacy and without
    SCC/BCR (or DPF for the US) on file; PHI without a BAA; cardholder data without a PCI AoC."""
    flags: list[Flag] = []
    personal = sorted(set(categories) & GDPR_CATEGORIES)
    if personal:
        if facts.dpa is None:
            flags.append(Flag(FlagCode.no_dpa, SEVERITY[FlagCode.no_dpa],
                              f"Personal data ({', '.join(personal)}) goes to {vendor_name} with no DPA in force."))
        uncovered = tuple(sorted({c for c in countries if not facts.transfer_covered(c)}))
        if uncovered:
            flags.append(Flag(
                FlagCode.transfer_without_mechanism, SEVERITY[FlagCode.transfer_without_mechanism],
                f"Personal data ({', '.join(personal)}) goes to {', '.join(uncovered)} (outside the EEA, no adequacy "
                f"decision) without SCC, BCR{' or DPF' if 'US' in uncovered else ''} on file for {vendor_name}.",
                uncovered,
            ))
    if "phi" in categories and facts.baa is None:
        flags.append(Flag(FlagCode.phi_without_baa, SEVERITY[FlagCode.phi_without_baa],
                          f"PHI goes to {vendor_name} with no signed BAA in force."))
    if "cardholder" in categories and facts.pci_aoc is None:
        flags.append(Flag(FlagCode.cardholder_without_pci_aoc, SEVERITY[FlagCode.cardholder_without_pci_aoc],
                          f"Cardholder data goes to {vendor_name} with no PCI DSS AoC in date."))
    return tuple(flags)


def _subprocessor_id(sp: SubprocessorFact) -> str:
    return f"subprocessor:{' '.join(sp.name.casefold().split())}|{sp.country}"


def _vendor_node(vendor: VendorFact, flags: tuple[FlagCode, ...]) -> Node:
    facts = vendor.facts
    cited = sorted({*facts.in_force.values(), *facts.mechanisms.values()})
    agreements = tuple(a for a in (vendor.agreement(doc_id) for doc_id in cited) if a is not None)
    return Node(
        id=f"vendor:{vendor.id}", layer=Layer.vendor, kind="vendor", label=vendor.name, ref_id=vendor.id,
        detail=vendor.legal_name if vendor.status == "active" else f"{vendor.legal_name} ({vendor.status})",
        countries=tuple(sorted(vendor.data_locations)), headquarters=vendor.country,
        agreement=vendor.agreement(facts.dpa), agreements=agreements,
        transfer_mechanisms=tuple(sorted(facts.mechanisms)), flags=flags,
    )


def _codes(flags: Iterable[Flag]) -> tuple[FlagCode, ...]:
    return tuple(sorted({f.code for f in flags}))


def build_map(estate: Estate, *, on: date, filters: Filters = Filters()) -> DataFlowMap:
    """The map of `estate` on `on`, narrowed by `filters` (app name, data category, vendor id).

    Layers: each Heroku app an integration runs on; each integration (and each shadow add-on); each
    vendor reached; each sub-processor of those vendors (one node per name and country, shared by the
    vendors that use it). A vendor passes on to its sub-processors the categories it receives, `none`
    aside; a vendor that receives nothing passes nothing on. Nodes and edges come out sorted by id, so
    the same facts always give the same map.
    """
    apps = {a.name: a for a in estate.apps}
    vendors = {v.id: v for v in estate.vendors}
    nodes: dict[str, Node] = {}
    edges: dict[str, Edge] = {}
    received: dict[int, set[str]] = {}  # vendor id → categories it receives on this map
    sources: dict[int, set[int]] = {}  # vendor id → integrations feeding it
    vendor_flags: dict[int, set[FlagCode]] = {}

    def app_node(name: str) -> str:
        node_id = f"app:{name}"
        if node_id not in nodes:
            app = apps.get(name)
            where = "not imported yet" if app is None else (
                f"{'Shield' if app.shield else 'Private'} space {app.space}" if app.space else
                "Shield" if app.shield else f"Common Runtime{f' ({app.region})' if app.region else ''}")
            nodes[node_id] = Node(id=node_id, layer=Layer.app, kind="heroku_app", label=name, detail=where,
                                  countries=app_countries(app),
                                  data_categories=tuple(sorted(app.data_categories)) if app else ())
        return node_id

    def to_vendor(source: str, vendor: VendorFact, *, categories: tuple[str, ...], countries: Iterable[str],
                  filtering: str | None, fields: tuple[str, ...], purpose: str,
                  integration_id: int | None) -> tuple[Flag, ...]:
        landing = destinations(countries, vendor)
        flags = flow_flags(categories, landing, vendor.facts, vendor_name=vendor.name)
        target = f"vendor:{vendor.id}"
        edges[f"{source}->{target}"] = Edge(
            id=f"{source}->{target}", source=source, target=target, data_categories=categories, filtering=filtering,
            fields_shared=fields, countries=landing, purpose=purpose,
            integration_ids=(integration_id,) if integration_id is not None else (), flags=flags,
            highlight=bool(flags),
        )
        received.setdefault(vendor.id, set()).update(categories)
        if integration_id is not None:
            sources.setdefault(vendor.id, set()).add(integration_id)
        vendor_flags.setdefault(vendor.id, set()).update(f.code for f in flags if f.code != FlagCode.shadow_addon)
        return flags

    for integration in sorted(estate.integrations, key=lambda i: i.id):
        vendor = vendors.get(integration.vendor_id)
        if vendor is None:
            continue
        app = apps.get(integration.heroku_app) if integration.heroku_app else None
        inherited = tuple(sorted(set(app.data_categories) - set(integration.data_categories) - {"none"})) if app else ()
        categories = effective_categories(integration.data_categories, inherited)
        if not filters.admits(app=integration.heroku_app, vendor_id=vendor.id, categories=categories):
            continue
        node_id = f"integration:{integration.id}"
        flags = to_vendor(node_id, vendor, categories=categories, countries=integration.transfer_countries,
                          filtering=integration.data_filtering, fields=integration.fields_shared,
                          purpose=integration.purpose, integration_id=integration.id)
        plan = f" · {integration.addon_plan}" if integration.addon_plan else ""
        nodes[node_id] = Node(
            id=node_id, layer=Layer.integration, kind=integration.kind, label=integration.name, ref_id=integration.id,
            detail=f"{integration.kind.replace('_', ' ')}{plan} · {integration.status.replace('_', ' ')}",
            countries=tuple(sorted(integration.transfer_countries)), flags=_codes(flags),
        )
        if integration.heroku_app:
            source = app_node(integration.heroku_app)
            edges[f"{source}->{node_id}"] = Edge(
                id=f"{source}->{node_id}", source=source, target=node_id, data_categories=categories,
                filtering=integration.data_filtering, fields_shared=integration.fields_shared,
                inherited_categories=inherited, purpose=integration.purpose, integration_ids=(integration.id,),
                highlight=bool(flags),
            )

    for addon in sorted(estate.addons, key=lambda a: a.id):
        app = apps.get(addon.app)
        categories = effective_categories(app.data_categories if app else ())
        if not filters.admits(app=addon.app, vendor_id=addon.vendor_id, categories=categories):
            continue
        node_id = f"addon:{addon.id}"
        source = app_node(addon.app)
        why = (f"its request {addon.integration_id} is {addon.integration_status}" if addon.integration_id
               else "no request was ever made")
        shadow = Flag(FlagCode.shadow_addon, SEVERITY[FlagCode.shadow_addon],
                      f"{addon.name} ({addon.plan or 'unknown plan'}) is installed on {addon.app} with no approved "
                      f"integration behind it ({why}).")
        flags: tuple[Flag, ...] = (shadow,)
        vendor = vendors.get(addon.vendor_id) if addon.vendor_id is not None else None
        if vendor is not None:
            flags = to_vendor(node_id, vendor, categories=categories, countries=(), filtering=None, fields=(),
                              purpose="", integration_id=None)
            flags = (shadow, *flags)
            unapproved = f"{node_id}->vendor:{vendor.id}"
            edges[unapproved] = replace(edges[unapproved], highlight=True)  # the whole unapproved path
        edges[f"{source}->{node_id}"] = Edge(
            id=f"{source}->{node_id}", source=source, target=node_id, data_categories=categories,
            inherited_categories=tuple(c for c in categories if c != "none"), flags=(shadow,), highlight=True,
        )
        nodes[node_id] = Node(
            id=node_id, layer=Layer.integration, kind="shadow_addon", label=addon.name, ref_id=addon.id,
            detail=f"shadow add-on · {addon.plan or addon.service or 'unknown plan'}", flags=_codes(flags),
        )

    for vendor_id, categories in received.items():
        vendor = vendors[vendor_id]
        passed = tuple(sorted(categories - {"none"}))
        sp_flags: set[FlagCode] = set()
        if passed:
            purposes: dict[str, list[str]] = {}
            by_id: dict[str, SubprocessorFact] = {}
            for sp in vendor.subprocessors:
                sp_id = _subprocessor_id(sp)
                by_id.setdefault(sp_id, sp)
                if sp.purpose not in purposes.setdefault(sp_id, []):
                    purposes[sp_id].append(sp.purpose)
            for sp_id, sp in by_id.items():
                node = nodes.get(sp_id) or Node(id=sp_id, layer=Layer.subprocessor, kind="subprocessor",
                                               label=sp.name, countries=(sp.country,))
                flags = flow_flags(passed, (sp.country,), vendor.facts, vendor_name=vendor.name)
                flags = tuple(f for f in flags if f.code == FlagCode.transfer_without_mechanism)  # onward transfer
                source = f"vendor:{vendor_id}"
                edges[f"{source}->{sp_id}"] = Edge(
                    id=f"{source}->{sp_id}", source=source, target=sp_id, data_categories=passed, countries=(sp.country,),
                    purpose="; ".join(purposes[sp_id]), integration_ids=tuple(sorted(sources.get(vendor_id, ()))),
                    flags=flags, highlight=bool(flags),
                )
                nodes[sp_id] = replace(node, flags=tuple(sorted({*node.flags, *_codes(flags)})))
                sp_flags.update(_codes(flags))
        nodes[f"vendor:{vendor_id}"] = _vendor_node(vendor, tuple(sorted(vendor_flags.get(vendor_id, set()) | sp_flags)))

    # A flow into a flagged integration is part of the flagged path: highlight it too.
    flagged_targets = {e.source for e in edges.values() if e.flags and e.source.startswith(("integration:", "addon:"))}
    for edge_id, edge in edges.items():
        if not edge.highlight and edge.target in flagged_targets:
            edges[edge_id] = replace(edge, highlight=True)
    counts: dict[str, int] = {}
    for edge in edges.values():
        for flag in edge.flags:
            counts[flag.code.value] = counts.get(flag.code.value, 0) + 1
    return DataFlowMap(
        on=on, filters=filters, nodes=tuple(nodes[k] for k in sorted(nodes, key=_node_sort_key)),
        edges=tuple(edges[k] for k in sorted(edges)), flag_counts=dict(sorted(counts.items())),
    )


def _node_sort_key(node_id: str) -> tuple[int, str]:
    prefix = node_id.split(":", 1)[0]
    order = {"app": 0, "integration": 1, "addon": 1, "vendor": 2, "subprocessor": 3}[prefix]
    return order, node_id


@dataclass(frozen=True)
class FilterOptions:
    """What the page's filter form offers: apps and vendors that have flows, and the data categories."""

    apps: tuple[str, ...]
    vendors: tuple[tuple[int, str], ...]
    data_categories: tuple[str, ...]


def filter_options(estate: Estate, categories: Sequence[str]) -> FilterOptions:
    vendor_ids = {i.vendor_id for i in estate.integrations} | {a.vendor_id for a in estate.addons if a.vendor_id}
    names = {v.id: v.name for v in estate.vendors}
    apps = {i.heroku_app for i in estate.integrations if i.heroku_app} | {a.app for a in estate.addons}
    return FilterOptions(
        apps=tuple(sorted(apps)),
        vendors=tuple(sorted(((vid, names[vid]) for vid in vendor_ids if vid in names), key=lambda v: (v[1].casefold(), v[0]))),
        data_categories=tuple(categories),
    )
