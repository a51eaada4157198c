"""The Heroku estate as plain values: what an import (CLI JSON) or a sync (Platform API) found.

Pure: parsers and the API client produce these; the import service stores them. Anything the source
did not say is None (unknown), which is different from an empty list or False.
"""

from dataclasses import dataclass, field
from typing import Literal

Source = Literal["addons", "apps_info", "plans", "api"]


@dataclass(frozen=True)
class Price:
    cents: int | None
    unit: str | None
    contract: bool | None = None


@dataclass(frozen=True)
class SpaceFacts:
    name: str
    heroku_id: str | None = None
    shield: bool | None = None
    region: str | None = None
    team: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class AppFacts:
    name: str
    heroku_id: str | None = None
    team: str | None = None
    region: str | None = None
    space: str | None = None  # space name; None = Common Runtime (when `space_known`)
    space_known: bool = False  # the source said which space (or none) the app is in
    shield: bool | None = None  # from the app's space
    generation: str | None = None


@dataclass(frozen=True)
class ServiceFacts:
    name: str  # the service slug, e.g. "heroku-postgresql"
    heroku_id: str | None = None
    human_name: str | None = None


@dataclass(frozen=True)
class PlanFacts:
    name: str  # "service:plan"
    heroku_id: str | None = None
    human_name: str | None = None
    # None: the source did not say. [] is "no compliance claimed" and is a different answer.
    compliance: tuple[str, ...] | None = None
    installable_inside_private_network: bool | None = None
    installable_outside_private_network: bool | None = None
    price: Price | None = None
    state: str | None = None

    @property
    def service(self) -> str:
        return self.name.split(":", 1)[0]


@dataclass(frozen=True)
class AttachmentFacts:
    app: str  # the app the add-on is attached to (may differ from the billing app)
    name: str  # the attachment name, e.g. DATABASE
    heroku_id: str | None = None


@dataclass(frozen=True)
class AddonFacts:
    heroku_id: str
    name: str
    app: str  # the billing app
    service: str | None  # slug; None when the source gave a stub
    plan: str | None  # "service:plan"; None when the source gave a stub
    state: str | None = None  # provisioning | provisioned | deprovisioned | anything else, kept as given
    config_vars: tuple[str, ...] = ()
    attachments: tuple[AttachmentFacts, ...] | None = None  # None: the source did not list them
    billed_price: Price | None = None
    provider_id: str | None = None
    web_url: str | None = None
    created_at: str | None = None  # ISO text from Heroku, stored as given


@dataclass(frozen=True)
class Skipped:
    what: str  # e.g. "add-on #12" or "plan heroku-postgresql:essential-0"
    reason: str


@dataclass
class Estate:
    """What one file or one sync saw. `complete_apps` names the apps whose add-ons were listed in full:
    only there does "not seen" mean "gone". `everything` says the source covered the whole estate (a
    sync, or a file the user declares complete), so add-ons of apps not in it are gone too."""

    source: Source
    spaces: dict[str, SpaceFacts] = field(default_factory=dict)
    apps: dict[str, AppFacts] = field(default_factory=dict)
    services: dict[str, ServiceFacts] = field(default_factory=dict)
    plans: dict[str, PlanFacts] = field(default_factory=dict)
    addons: dict[str, AddonFacts] = field(default_factory=dict)  # by Heroku id
    complete_apps: set[str] = field(default_factory=set)
    everything: bool = False
    skipped: list[Skipped] = field(default_factory=list)
