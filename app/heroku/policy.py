"""Add-on policy gates (HEROKU.md, DOMAIN.md): does this plan fit this app and the data it will receive?

Pure: app, plan and the vendor's document facts come in as values; the gates come out as PolicyChecks,
each saying what passed or what is missing. Unknown plan details fail closed: a plan nobody has
looked up cannot be shown to be compliant.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from app.documents.policy import VendorFacts, document_gates
from app.questionnaires.scoring import PolicyCheck

# Heroku's own data stores: on a Shield app they must use a Shield plan (e.g. heroku-postgresql:shield-0).
HEROKU_DATA_SERVICES = frozenset({"heroku-postgresql", "heroku-redis", "heroku-kafka", "heroku-key-value-store"})


@dataclass(frozen=True)
class AppFacts:
    name: str
    space: str | None  # None: Common Runtime
    shield: bool
    data_categories: tuple[str, ...] = ()
    space_known: bool = True  # False: no import has said whether the app is in a space


@dataclass(frozen=True)
class PlanFacts:
    name: str  # service:plan
    compliance: tuple[str, ...] | None  # None: details not known
    installable_inside_private_network: bool | None

    @property
    def service(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def plan(self) -> str:
        return self.name.split(":", 1)[-1]


_LOOK_UP = "sync with the Platform API or import `heroku addons:plans {service} --json`"


def _complies(plan: PlanFacts, standard: str) -> bool | None:
    if plan.compliance is None:
        return None
    return standard.upper() in {c.upper() for c in plan.compliance}


def addon_gates(
    app: AppFacts, plan: PlanFacts, *, data_categories: Iterable[str], transfer_countries: Iterable[str] = (),
    vendor: VendorFacts,
) -> list[PolicyCheck]:
    """Every gate for attaching `plan` to `app` when the add-on will receive `data_categories` (the
    request's own, plus whatever the app holds: an app that stores PHI makes every add-on a PHI flow).

    - private or Shield space → the plan installs inside a private network;
    - Shield app and a Heroku data service → a `shield-*` plan;
    - `phi` → plan compliance includes HIPAA, and (documents) a BAA in force;
    - `cardholder` → plan compliance includes PCI, and (documents) a PCI AoC in date;
    - personal data → a DPA in force; transfers outside the EEA without adequacy → a mechanism on file.
    """
    categories = sorted(set(data_categories) | set(app.data_categories))
    look_up = _LOOK_UP.format(service=plan.service)
    checks: list[PolicyCheck] = []
    if not app.space_known:
        checks.append(PolicyCheck(
            "policy.heroku.space_known", False, "high",
            f"Whether {app.name} runs in a private or Shield space is not known; import `heroku apps:info "
            f"--app {app.name} --json` or sync with the Platform API.",
        ))
    if app.space is not None or app.shield:
        where = f"{'Shield' if app.shield else 'private'} space {app.space}" if app.space else "a Shield space"
        inside = plan.installable_inside_private_network
        checks.append(PolicyCheck(
            "policy.heroku.private_network", inside is True, "critical",
            f"{plan.name} installs inside a private network, as {app.name} in {where} needs." if inside else
            f"{app.name} runs in {where}, but {plan.name} " + (
                "cannot be installed inside a private network; choose a private or Shield plan."
                if inside is False else f"has unknown private-network support; {look_up}."),
        ))
    if app.shield and plan.service in HEROKU_DATA_SERVICES:
        shield_plan = plan.plan.startswith("shield-")
        checks.append(PolicyCheck(
            "policy.heroku.shield_plan", shield_plan, "critical",
            f"{plan.name} is a Shield plan." if shield_plan else
            f"{app.name} is a Shield app: {plan.service} must use a shield-* plan, not {plan.plan}.",
        ))
    for category, standard, gate in (("phi", "HIPAA", "policy.heroku.hipaa_plan"),
                                      ("cardholder", "PCI", "policy.heroku.pci_plan")):
        if category not in categories:
            continue
        complies = _complies(plan, standard)
        source = "the app holds" if category in app.data_categories else "the request names"
        checks.append(PolicyCheck(
            gate, complies is True, "critical",
            f"{plan.name} is {standard} compliant." if complies else (
                f"{category} data ({source}) needs a {standard}-compliant plan; {plan.name} claims "
                + ("no compliance" if not plan.compliance else ", ".join(plan.compliance)) + "."
                if complies is False else
                f"{category} data ({source}) needs a {standard}-compliant plan, and {plan.name}'s compliance "
                f"is not known; {look_up}."),
        ))
    checks.extend(document_gates(vendor, data_categories=categories, transfer_countries=transfer_countries))
    return checks
