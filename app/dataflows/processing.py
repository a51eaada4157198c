"""The record of processing, recipients side (GDPR Art. 30(1)(d)–(e)): per vendor that receives our data,
the purposes, data categories, countries, transfers to third countries and their safeguards, and the
DPA in force. Pure: built from the same facts as the data-flow map, so the two never disagree."""

from dataclasses import dataclass
from datetime import date

from app.dataflows.graph import (
    AgreementFact,
    Estate,
    IntegrationFact,
    SubprocessorFact,
    VendorFact,
    destinations,
    effective_categories,
    flow_flags,
)
from app.documents.policy import GDPR_CATEGORIES, transfer_needs_mechanism

VERSION = "processing/1"


@dataclass(frozen=True)
class ProcessingEntry:
    vendor_id: int
    vendor: str
    legal_name: str
    headquarters: str
    vendor_status: str
    purposes: tuple[str, ...]
    integrations: tuple[str, ...]  # "name (kind, status)"
    data_categories: tuple[str, ...]
    countries: tuple[str, ...]  # where the vendor receives, stores or processes our data
    third_countries: tuple[str, ...]  # of those and the sub-processors' countries: outside the EEA, no adequacy
    subprocessors: tuple[SubprocessorFact, ...]
    transfer_mechanisms: tuple[str, ...]  # "scc (document 12)"
    uncovered_countries: tuple[str, ...]  # third countries personal data reaches without a mechanism on file
    dpa: AgreementFact | None
    other_agreements: tuple[AgreementFact, ...]  # SCCs, BAA, PCI AoC... in force
    findings: tuple[str, ...]

    @property
    def personal_data(self) -> bool:
        return bool(set(self.data_categories) & GDPR_CATEGORIES)


@dataclass(frozen=True)
class ProcessingRecord:
    on: date
    scope: str  # which integrations count: current | approved
    entries: tuple[ProcessingEntry, ...]
    version: str = VERSION

    @property
    def without_dpa(self) -> int:
        return sum(1 for e in self.entries if e.personal_data and e.dpa is None)

    @property
    def with_uncovered_transfers(self) -> int:
        return sum(1 for e in self.entries if e.uncovered_countries)


def _entry(vendor: VendorFact, integrations: list[IntegrationFact], app_categories: dict[str, tuple[str, ...]]) -> ProcessingEntry:
    categories: set[str] = set()
    countries: set[str] = set()
    for i in integrations:
        inherited = app_categories.get(i.heroku_app, ()) if i.heroku_app else ()
        categories.update(effective_categories(i.data_categories, inherited))
        countries.update(destinations(i.transfer_countries, vendor))
    shown = tuple(sorted(categories - {"none"})) or ("none",)
    reached = countries | {sp.country for sp in vendor.subprocessors}
    third = tuple(sorted(c for c in reached if transfer_needs_mechanism(c)))
    facts = vendor.facts
    personal = bool(categories & GDPR_CATEGORIES)
    uncovered = tuple(c for c in third if not facts.transfer_covered(c)) if personal else ()
    flags = flow_flags(shown, tuple(sorted(reached)), facts, vendor_name=vendor.name)
    others = tuple(a for a in vendor.agreements if a.document_id != facts.dpa)
    return ProcessingEntry(
        vendor_id=vendor.id, vendor=vendor.name, legal_name=vendor.legal_name, headquarters=vendor.country,
        vendor_status=vendor.status,
        purposes=tuple(dict.fromkeys(i.purpose for i in integrations)),
        integrations=tuple(f"{i.name} ({i.kind}, {i.status})" for i in integrations),
        data_categories=shown, countries=tuple(sorted(countries)), third_countries=third,
        subprocessors=tuple(sorted(vendor.subprocessors, key=lambda s: (s.name.casefold(), s.country))),
        transfer_mechanisms=tuple(f"{m} (document {doc})" for m, doc in sorted(facts.mechanisms.items())),
        uncovered_countries=uncovered, dpa=vendor.agreement(facts.dpa), other_agreements=others,
        findings=tuple(f.message for f in flags),
    )


def build_record(estate: Estate, *, on: date, scope: str) -> ProcessingRecord:
    """One entry per vendor with at least one integration in the estate, by vendor name. Categories include
    what an add-on's app holds; countries are where the data lands (the integrations' transfer countries
    and the vendor's data locations); third countries add the sub-processors' countries. A transfer is
    uncovered when personal data reaches a third country without SCC/BCR (or DPF for the US) on file."""
    apps = {a.name: a.data_categories for a in estate.apps}
    by_vendor: dict[int, list[IntegrationFact]] = {}
    for integration in sorted(estate.integrations, key=lambda i: (i.name.casefold(), i.id)):
        by_vendor.setdefault(integration.vendor_id, []).append(integration)
    entries = [_entry(v, by_vendor[v.id], apps) for v in estate.vendors if v.id in by_vendor]
    entries.sort(key=lambda e: (e.vendor.casefold(), e.vendor_id))
    return ProcessingRecord(on=on, scope=scope, entries=tuple(entries))


@dataclass(frozen=True)
class ProcessingDocument:
    """The record as printed (app/templates/pdf/record_of_processing.html): a title, when it was made."""

    title: str
    created: str  # ISO 8601 UTC, to the second
    record: ProcessingRecord
