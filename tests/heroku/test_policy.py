"""Add-on policy gates, table-driven: every gate and the combinations that matter."""

from datetime import date

import pytest

from app.documents.policy import VendorFacts
from app.heroku.policy import AppFacts, PlanFacts, addon_gates

NO_DOCS = VendorFacts(on=date(2026, 11, 29), dpa=None, baa=None, pci_aoc=None, mechanisms={}, in_force={})
ALL_DOCS = VendorFacts(on=date(2026, 11, 29), dpa=1, baa=2, pci_aoc=3, mechanisms={"scc": 1},
                       in_force={"dpa": 1, "baa": 2, "pci_aoc": 3})

COMMON = AppFacts("acme-web", space=None, shield=False)
PRIVATE = AppFacts("acme-api", space="acme-private", shield=False)
SHIELD = AppFacts("acme-health", space="acme-shield", shield=True)
SHIELD_PHI = AppFacts("acme-records", space="acme-shield", shield=True, data_categories=("phi",))
CARD_APP = AppFacts("acme-pay", space=None, shield=False, data_categories=("cardholder",))
UNKNOWN_SPACE = AppFacts("acme-new", space=None, shield=False, space_known=False)

PG_ESSENTIAL = PlanFacts("heroku-postgresql:essential-0", compliance=None, installable_inside_private_network=False)
PG_ESSENTIAL_SAID = PlanFacts("heroku-postgresql:essential-0", compliance=(), installable_inside_private_network=False)
PG_PRIVATE = PlanFacts("heroku-postgresql:private-0", compliance=(), installable_inside_private_network=True)
PG_SHIELD = PlanFacts("heroku-postgresql:shield-0", compliance=("HIPAA", "PCI"), installable_inside_private_network=True)
PAPERTRAIL = PlanFacts("papertrail:choklad", compliance=(), installable_inside_private_network=False)
PAPERTRAIL_UNKNOWN = PlanFacts("papertrail:fixa", compliance=None, installable_inside_private_network=None)
STRIPE_LIKE = PlanFacts("paysvc:pro", compliance=("PCI",), installable_inside_private_network=True)


def outcome(app, plan, categories=(), vendor=ALL_DOCS, countries=()):
    return {g.id: g.satisfied for g in addon_gates(app, plan, data_categories=categories, vendor=vendor,
                                                      transfer_countries=countries)}


@pytest.mark.parametrize(
    ("app", "plan", "categories", "expected"),
    [
        # Common Runtime, nothing sensitive: no gate applies.
        (COMMON, PAPERTRAIL, ["logs_telemetry"], {}),
        # Private space × plan that cannot go inside / can / unknown.
        (PRIVATE, PAPERTRAIL, [], {"policy.heroku.private_network": False}),
        (PRIVATE, PG_PRIVATE, [], {"policy.heroku.private_network": True}),
        (PRIVATE, PAPERTRAIL_UNKNOWN, [], {"policy.heroku.private_network": False}),
        # Shield app × non-private plan; Heroku data service must be shield-*.
        (SHIELD, PG_ESSENTIAL, [], {"policy.heroku.private_network": False, "policy.heroku.shield_plan": False}),
        (SHIELD, PG_PRIVATE, [], {"policy.heroku.private_network": True, "policy.heroku.shield_plan": False}),
        (SHIELD, PG_SHIELD, [], {"policy.heroku.private_network": True, "policy.heroku.shield_plan": True}),
        # PHI app × plan without HIPAA (the app's categories count even if the request names none).
        (SHIELD_PHI, PG_SHIELD, [], {"policy.heroku.private_network": True, "policy.heroku.shield_plan": True,
                                     "policy.heroku.hipaa_plan": True, "policy.gdpr.dpa": True,
                                     "policy.hipaa.baa": True}),
        (COMMON, PG_ESSENTIAL_SAID, ["phi"], {"policy.heroku.hipaa_plan": False, "policy.gdpr.dpa": True,
                                              "policy.hipaa.baa": True}),
        (COMMON, PG_ESSENTIAL, ["phi"], {"policy.heroku.hipaa_plan": False, "policy.gdpr.dpa": True,
                                         "policy.hipaa.baa": True}),
        # Cardholder app × plan without PCI / with PCI.
        (CARD_APP, PAPERTRAIL, [], {"policy.heroku.pci_plan": False, "policy.gdpr.dpa": True, "policy.pci.aoc": True}),
        (CARD_APP, STRIPE_LIKE, [], {"policy.heroku.pci_plan": True, "policy.gdpr.dpa": True, "policy.pci.aoc": True}),
        # An app nobody has said the space of: fail closed until an import says.
        (UNKNOWN_SPACE, PAPERTRAIL, [], {"policy.heroku.space_known": False}),
    ],
)
def test_gates(app, plan, categories, expected):
    assert outcome(app, plan, categories) == expected


def test_document_facts_join_the_plan_gates():
    gates = outcome(SHIELD_PHI, PG_SHIELD, ["customer_personal"], vendor=NO_DOCS, countries=["US"])
    assert gates == {"policy.heroku.private_network": True, "policy.heroku.shield_plan": True,
                     "policy.heroku.hipaa_plan": True, "policy.gdpr.dpa": False, "policy.gdpr.transfer": False,
                     "policy.hipaa.baa": False}


@pytest.mark.parametrize(
    ("app", "plan", "categories", "gate", "words"),
    [
        (SHIELD, PAPERTRAIL, [], "policy.heroku.private_network", ["Shield space acme-shield", "cannot be installed"]),
        (PRIVATE, PAPERTRAIL_UNKNOWN, [], "policy.heroku.private_network",
         ["unknown private-network support", "heroku addons:plans papertrail --json"]),
        (SHIELD, PG_PRIVATE, [], "policy.heroku.shield_plan", ["shield-* plan", "not private-0"]),
        (SHIELD_PHI, PG_ESSENTIAL_SAID, [], "policy.heroku.hipaa_plan", ["phi data (the app holds)", "claims no compliance"]),
        (COMMON, PG_ESSENTIAL, ["phi"], "policy.heroku.hipaa_plan", ["(the request names)", "is not known"]),
        (CARD_APP, PG_SHIELD, [], "policy.heroku.pci_plan", ["is PCI compliant"]),
    ],
)
def test_each_gate_says_why(app, plan, categories, gate, words):
    message = next(g.message for g in addon_gates(app, plan, data_categories=categories, vendor=ALL_DOCS) if g.id == gate)
    for word in words:
        assert word in message


def test_plan_gates_are_critical():
    gates = addon_gates(SHIELD_PHI, PG_ESSENTIAL, data_categories=["cardholder"], vendor=ALL_DOCS)
    assert {g.severity for g in gates if g.id.startswith("policy.heroku.")} == {"critical"}
