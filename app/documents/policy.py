"""Policy facts from a vendor's documents, and the GDPR / HIPAA / PCI gates built on them (DOMAIN.md).

Pure: documents and the day come in as values; the gates come out as scoring PolicyChecks.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.documents.status import IN_FORCE, Terms, standing
from app.questionnaires.scoring import PolicyCheck

# Personal data in GDPR's sense: anything about an identifiable person (health and card data included).
GDPR_CATEGORIES = frozenset({"business_contact", "customer_personal", "special_category", "phi", "cardholder"})
# The EEA: the 27 EU member states plus Iceland, Liechtenstein and Norway.
EEA = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
})
# Countries with a European Commission adequacy decision (Art. 45 GDPR), as listed by the Commission in 2025.
# The US decision covers only DPF-certified recipients, so the US is not here: it needs DPF, SCC or BCR.
ADEQUACY = frozenset({"AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY"})


def transfer_needs_mechanism(country: str) -> bool:
    """A transfer to `country` needs SCC, BCR or DPF: it is outside the EEA and has no adequacy decision."""
    return country not in EEA and country not in ADEQUACY


# Mechanisms that cover a transfer to a country without adequacy; DPF covers only certified US recipients.
_GENERAL_MECHANISMS = frozenset({"scc", "bcr"})


@dataclass(frozen=True)
class DocumentFacts:
    id: int
    terms: Terms
    transfer_mechanism: str | None = None


@dataclass(frozen=True)
class VendorFacts:
    """What a vendor's documents establish on one day; each field names the document that shows it."""

    on: date
    dpa: int | None  # a DPA in force
    baa: int | None  # a BAA in force
    pci_aoc: int | None  # a PCI Attestation of Compliance in date
    mechanisms: dict[str, int]  # transfer mechanism → a document in force that provides it
    in_force: dict[str, int]  # document type → the newest document of that type in force

    def transfer_covered(self, country: str) -> bool:
        """True when data may go to `country`: inside the EEA, an adequacy country, or a mechanism on file."""
        if not transfer_needs_mechanism(country):
            return True
        if any(m in self.mechanisms for m in _GENERAL_MECHANISMS):
            return True
        return country == "US" and "dpf" in self.mechanisms


def vendor_facts(documents: Iterable[DocumentFacts], *, today: date, expiring_days: int) -> VendorFacts:
    """The newest in-force document of each kind (highest id wins, so a fresh upload is cited)."""
    found: dict[str, int] = {}
    mechanisms: dict[str, int] = {}
    for doc in sorted(documents, key=lambda d: d.id):
        if standing(doc.terms, today=today, expiring_days=expiring_days).status not in IN_FORCE:
            continue
        found[doc.terms.type] = doc.id
        if doc.terms.type == "scc":
            mechanisms["scc"] = doc.id
        elif doc.terms.type == "dpa" and doc.transfer_mechanism in ("scc", "bcr", "dpf"):
            mechanisms[doc.transfer_mechanism] = doc.id
    return VendorFacts(on=today, dpa=found.get("dpa"), baa=found.get("baa"), pci_aoc=found.get("pci_aoc"),
                       mechanisms=mechanisms, in_force=found)


def _cite(doc_id: int | None) -> str:
    return f" (document {doc_id})" if doc_id else ""


def document_gates(
    facts: VendorFacts, *, data_categories: Iterable[str], transfer_countries: Iterable[str]
) -> list[PolicyCheck]:
    """The register gates that documents decide, for one integration of the vendor:
    - any GDPR personal-data category → a DPA in force;
    - each transfer country outside the EEA and without adequacy → SCC/BCR (or DPF for the US) on file;
    - `phi` → a BAA in force; `cardholder` → a PCI AoC in date.
    Only the gates that apply are returned; each says what is missing or which document satisfies it."""
    categories = set(data_categories)
    checks: list[PolicyCheck] = []
    personal = sorted(categories & GDPR_CATEGORIES)
    if personal:
        checks.append(PolicyCheck(
            id="policy.gdpr.dpa", satisfied=facts.dpa is not None, severity="high",
            message=(f"A DPA is in force{_cite(facts.dpa)}." if facts.dpa else
                     f"Personal data ({', '.join(personal)}) needs a data processing agreement in force; "
                     "upload the signed DPA."),
        ))
        uncovered = sorted({c for c in transfer_countries if not facts.transfer_covered(c)})
        needing = sorted({c for c in transfer_countries if transfer_needs_mechanism(c)})
        if needing:
            checks.append(PolicyCheck(
                id="policy.gdpr.transfer", satisfied=not uncovered, severity="high",
                message=(f"Transfers to {', '.join(needing)} are covered by a transfer mechanism on file."
                         if not uncovered else
                         f"Personal data goes to {', '.join(uncovered)} (outside the EEA, no adequacy decision) "
                         "without a transfer mechanism on file; upload SCCs or a DPA naming SCC, BCR or DPF."),
            ))
    if "phi" in categories:
        checks.append(PolicyCheck(
            id="policy.hipaa.baa", satisfied=facts.baa is not None, severity="critical",
            message=(f"A BAA is in force{_cite(facts.baa)}." if facts.baa else
                     "PHI needs a signed business associate agreement in force; upload the BAA."),
        ))
    if "cardholder" in categories:
        checks.append(PolicyCheck(
            id="policy.pci.aoc", satisfied=facts.pci_aoc is not None, severity="critical",
            message=(f"A PCI AoC is in date{_cite(facts.pci_aoc)}." if facts.pci_aoc else
                     "Cardholder data needs the vendor's PCI DSS Attestation of Compliance, in date; upload it."),
        ))
    return checks
