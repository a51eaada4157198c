"""Read what Heroku says about an estate into the plain values of `app.heroku.estate`.

Pure: standard library only, no I/O beyond `json.loads` on the bytes given.

Two entry points:

- `parse_cli_json(data)` reads a file the user exported with the Heroku CLI and recognises it by its
  content (never its name): `heroku addons [--all | --app X] --json` (an array of add-ons),
  `heroku apps:info --app X --json` (an object with `app` and `addons`), or
  `heroku addons:plans SERVICE --json` (an array of plans).
- `estate_from_api(apps, spaces, addons, attachments, plans)` builds the estate from raw Platform API
  objects that a sync fetched.

One bad object never sinks the file: it goes to `Estate.skipped` with the reason, and the apps it
mentions are left out of `complete_apps` (an add-on we could not read must never look "gone").
Only problems with the file as a whole raise `HerokuFileError`.
"""

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from app.heroku.estate import (
    AddonFacts,
    AppFacts,
    AttachmentFacts,
    Estate,
    PlanFacts,
    Price,
    ServiceFacts,
    Skipped,
    Source,
    SpaceFacts,
)

__all__ = ["EXPECTED", "HerokuFileError", "estate_from_api", "parse_cli_json"]

EXPECTED = (
    "an array of add-ons (heroku addons --all --json, or heroku addons --app APP --json), "
    "an apps:info object (heroku apps:info --app APP --json), "
    "or an array of plans (heroku addons:plans SERVICE --json)"
)

# Keys only add-on objects have (plans never do), and keys only plan objects have.
_ADDON_KEYS = frozenset(
    {"app", "plan", "config_vars", "attachments", "billing_entity", "billed_price", "provider_id", "actions"}
)
_PLAN_KEYS = frozenset(
    {
        "compliance",
        "installable_inside_private_network",
        "installable_outside_private_network",
        "space_default",
        "default",
        "visible",
    }
)
_WORDS = ("true", "false", "null")  # a file cut inside one of these fails where the word starts
_NAME_IN_LABEL = 80  # characters of a name quoted in a Skipped label

T = TypeVar("T")


class HerokuFileError(ValueError):
    """The file as a whole cannot be read as Heroku CLI JSON. The message says what to do about it."""


class _Bad(Exception):
    """One object has a field that is missing or of the wrong type: skip that object, not the file."""


# --------------------------------------------------------------------------------------------------
# Field readers: each returns the value, None when absent or null, or raises _Bad naming the field.


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - json.loads produces nothing else


def _str(obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad(f"{where}{key} is {_kind(value)}, not a string")
    return value


def _name(obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
    """An identifier: like `_str`, but an empty string counts as absent."""
    return _str(obj, key, where) or None


def _bool(obj: Mapping[str, Any], key: str, where: str = "") -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _Bad(f"{where}{key} is {_kind(value)}, not true/false")
    return value


def _int(obj: Mapping[str, Any], key: str, where: str = "") -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"{where}{key} is {_kind(value)}, not a whole number")
    return value


def _obj(obj: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Bad(f"{where}{key} is {_kind(value)}, not an object")
    return value


def _strings(obj: Mapping[str, Any], key: str, where: str = "") -> tuple[str, ...] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise _Bad(f"{where}{key} is {_kind(value)}, not an array of strings")
    for index, item in enumerate(value, 1):
        if not isinstance(item, str):
            raise _Bad(f"{where}{key} #{index} is {_kind(item)}, not a string")
    return tuple(value)


def _ref_name(obj: Mapping[str, Any], key: str, where: str = "") -> str | None:
    """A reference that is `{id, name}`, a plain name string (a CLI variant), or null."""
    value = obj.get(key)
    if isinstance(value, str):
        return value or None
    ref = _obj(obj, key, where)
    return None if ref is None else _name(ref, "name", f"{where}{key}.")


def _price(obj: Mapping[str, Any], key: str, where: str = "") -> Price | None:
    raw = _obj(obj, key, where)
    if raw is None:
        return None
    inner = f"{where}{key}."
    cents, unit, contract = _int(raw, "cents", inner), _str(raw, "unit", inner), _bool(raw, "contract", inner)
    if cents is None and unit is None and contract is None:
        return None
    return Price(cents=cents, unit=unit, contract=contract)


def _label(what: str, index: int, raw: Any) -> str:
    """`add-on #12 (name 'x')`: #1 is the first entry, as a person counts."""
    name = raw.get("name") if isinstance(raw, dict) else None
    if isinstance(name, str) and name:
        shown = name if len(name) <= _NAME_IN_LABEL else name[: _NAME_IN_LABEL - 1] + "…"
        return f"{what} #{index} (name '{shown}')"
    return f"{what} #{index}"


def _apps_mentioned(raw: Any) -> set[str] | None:
    """Best effort, for an object we skip: the app names it mentions; None when not even its billing
    app can be read (then no app in the file can be called complete)."""
    if not isinstance(raw, dict):
        return None
    names: set[str] = set()
    app = raw.get("app")
    if isinstance(app, dict) and isinstance(app.get("name"), str) and app["name"]:
        names.add(app["name"])
    else:
        return None
    attachments = raw.get("attachments")
    if isinstance(attachments, list):
        for att in attachments:
            att_app = att.get("app") if isinstance(att, dict) else None
            if isinstance(att_app, dict) and isinstance(att_app.get("name"), str):
                names.add(att_app["name"])
    return names


# --------------------------------------------------------------------------------------------------
# Objects


def _merge(old: T, new: T) -> T:
    """Fill what `old` left unknown (None) from `new`; what `old` says wins. `space_known` is an or."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(old):  # type: ignore[arg-type]
        before, after = getattr(old, f.name), getattr(new, f.name)
        if before is None and after is not None:
            changes[f.name] = after
        elif f.name == "space_known" and after and not before:
            changes[f.name] = True
    return dataclasses.replace(old, **changes) if changes else old  # type: ignore[type-var]


def _service_facts(raw: Mapping[str, Any], where: str) -> ServiceFacts | None:
    name = _name(raw, "name", where)
    heroku_id = _name(raw, "id", where)
    human_name = _str(raw, "human_name", where)
    return ServiceFacts(name=name, heroku_id=heroku_id, human_name=human_name) if name else None


def _plan_facts(raw: Mapping[str, Any], name: str, where: str, *, with_price: bool) -> PlanFacts:
    """The plan's own facts. `with_price` is False for a plan inside a CLI add-on, whose `price` the CLI
    overwrote with the add-on's billed price: that is not the plan's list price."""
    return PlanFacts(
        name=name,
        heroku_id=_name(raw, "id", where),
        human_name=_str(raw, "human_name", where),
        compliance=_strings(raw, "compliance", where),  # absent or null: unknown; []: none claimed
        installable_inside_private_network=_bool(raw, "installable_inside_private_network", where),
        installable_outside_private_network=_bool(raw, "installable_outside_private_network", where),
        price=_price(raw, "price", where) if with_price else None,
        state=_str(raw, "state", where),
    )


def _full_plan_name(plan_name: str | None, service: str | None) -> str | None:
    if plan_name is None or ":" in plan_name:
        return plan_name
    return f"{service}:{plan_name}" if service else None


@dataclasses.dataclass
class _Found:
    """One parsed object and the catalogue entries it brought with it, committed together."""

    addon: AddonFacts | None = None
    apps: list[AppFacts] = dataclasses.field(default_factory=list)
    spaces: list[SpaceFacts] = dataclasses.field(default_factory=list)
    services: list[ServiceFacts] = dataclasses.field(default_factory=list)
    plans: list[PlanFacts] = dataclasses.field(default_factory=list)
    notes: list[Skipped] = dataclasses.field(default_factory=list)
    stub: bool = False  # an add-on whose service and plan are both unknown: the user cannot read it


def _attachment(raw: Any, where: str) -> tuple[AttachmentFacts, AppFacts]:
    if not isinstance(raw, dict):
        raise _Bad(f"{where} is {_kind(raw)}, not an object")
    app = _obj(raw, "app", f"{where} ")
    app_name = _name(app, "name", f"{where} app.") if app else None
    if not app_name:
        raise _Bad(f"{where} has no app name")
    name = _name(raw, "name", f"{where} ")
    if not name:
        raise _Bad(f"{where} has no name")
    app_id = _name(app, "id", f"{where} app.") if app else None
    facts = AttachmentFacts(app=app_name, name=name, heroku_id=_name(raw, "id", f"{where} "))
    return facts, AppFacts(name=app_name, heroku_id=app_id)


def _sorted_attachments(items: Iterable[AttachmentFacts]) -> tuple[AttachmentFacts, ...]:
    return tuple(sorted(set(items), key=lambda a: (a.app, a.name, a.heroku_id or "")))


def _from_attachments(attachments: list[Any], key: str) -> Any:
    """The CLI lists an add-on the user cannot read without an id, but each of its attachments still
    names it in `addon {id, name, app}`. Recover `id`, `name` or `app` from there when all agree."""

    def value(att: Any) -> Any:
        ref = att.get("addon") if isinstance(att, dict) else None
        found = ref.get(key) if isinstance(ref, dict) else None
        if key == "app" and isinstance(found, dict):
            app_id, app_name = found.get("id"), found.get("name")
            return (app_id, app_name) if isinstance(app_id, str | None) and isinstance(app_name, str) else None
        return found if isinstance(found, str) else None

    values = {value(att) for att in attachments}
    if len(values) != 1 or None in values:
        return None
    only = values.pop()
    return {"id": only[0], "name": only[1]} if key == "app" else only


def _addon(
    raw: Any, label: str, *, attachments: tuple[AttachmentFacts, ...] | None = None, from_api: bool = False
) -> _Found:
    """One add-on object (API or CLI). With `from_api`, `attachments` come from the separate list."""
    if not isinstance(raw, dict):
        raise _Bad(f"is {_kind(raw)}, not an object")
    found = _Found()

    raw_attachments = None if from_api else raw.get("attachments")
    if raw_attachments is not None and not isinstance(raw_attachments, list):
        raise _Bad(f"attachments is {_kind(raw_attachments)}, not an array")
    if not from_api:
        if raw_attachments is None:
            attachments = None  # not listed: unknown, not "attached nowhere"
        else:
            parsed = [_attachment(att, f"attachment #{i}") for i, att in enumerate(raw_attachments, 1)]
            attachments = _sorted_attachments(att for att, _ in parsed)
            found.apps.extend(app for _, app in parsed)

    def identity(key: str) -> Any:
        if raw.get(key) is None and raw_attachments:
            return _from_attachments(raw_attachments, key)
        return raw.get(key)

    ident = {key: identity(key) for key in ("id", "name", "app")}
    heroku_id = _name(ident, "id")
    if not heroku_id:
        raise _Bad("no id")
    name = _name(ident, "name")
    if not name:
        raise _Bad("no name")
    billing = _obj(ident, "app")
    app_name = _name(billing, "name", "app.") if billing else None
    if not app_name:
        raise _Bad("no billing app (app.name)")
    found.apps.insert(0, AppFacts(name=app_name, heroku_id=_name(billing, "id", "app.") if billing else None))

    # The service: from addon_service, else the plan's own addon_service, else the plan name's prefix.
    service_raw = _obj(raw, "addon_service")
    plan_raw = _obj(raw, "plan")
    service = _service_facts(service_raw, "addon_service.") if service_raw else None
    service_id = _name(service_raw, "id", "addon_service.") if service_raw else None
    inner = _obj(plan_raw, "addon_service", "plan.") if plan_raw else None
    plan_service = _service_facts(inner, "plan.addon_service.") if inner else None
    plan_name = _name(plan_raw, "name", "plan.") if plan_raw else None

    slugs = {facts.name for facts in (service, plan_service) if facts}
    if len(slugs) > 1:
        raise _Bad(
            f"addon_service '{service.name if service else ''}' and plan.addon_service "
            f"'{plan_service.name if plan_service else ''}' disagree"
        )
    slug = slugs.pop() if slugs else None
    full_plan = _full_plan_name(plan_name, slug)
    if plan_name and not full_plan:
        found.notes.append(
            Skipped(f"plan '{plan_name}' of {label}", "not in service:plan form and the service is unknown")
        )
    if full_plan:
        plan_slug = full_plan.split(":", 1)[0]
        if slug is None:  # a stub service: the plan name says which service it is
            slug = plan_slug
        elif plan_slug != slug:
            raise _Bad(f"plan '{full_plan}' is not a plan of service '{slug}'")
        found.plans.append(_plan_facts(plan_raw or {}, full_plan, "plan.", with_price=False))
    if slug:
        found.services.extend(facts for facts in (service, plan_service) if facts)
        found.services.append(ServiceFacts(name=slug, heroku_id=service_id))

    # Neither service nor plan known: an add-on the user cannot read (the CLI gives `{}` for both).
    found.stub = slug is None and full_plan is None
    found.addon = AddonFacts(
        heroku_id=heroku_id,
        name=name,
        app=app_name,
        service=slug,
        plan=full_plan,
        state=_str(raw, "state"),  # kept as given, including states Heroku adds later
        config_vars=_strings(raw, "config_vars") or (),
        attachments=attachments,
        billed_price=_price(raw, "billed_price"),
        provider_id=_str(raw, "provider_id"),
        web_url=_str(raw, "web_url"),
        created_at=_str(raw, "created_at"),
    )
    return found


def _plan(raw: Any, label: str) -> _Found:
    """One plan object from `heroku addons:plans` or `GET /addon-services/{s}/plans/{p}`."""
    if not isinstance(raw, dict):
        raise _Bad(f"is {_kind(raw)}, not an object")
    service_raw = _obj(raw, "addon_service")
    service = _service_facts(service_raw, "addon_service.") if service_raw else None
    name = _name(raw, "name")
    if not name:
        raise _Bad("no name")
    full = _full_plan_name(name, service.name if service else None)
    if full is None:
        raise _Bad("the name is not in service:plan form and addon_service.name is missing")
    slug = full.split(":", 1)[0]
    if service and service.name != slug:
        raise _Bad(f"the name says service '{slug}' but addon_service.name is '{service.name}'")
    found = _Found(plans=[_plan_facts(raw, full, "", with_price=True)])
    found.services.append(service or ServiceFacts(name=slug))
    return found


def _space(raw: Any, label: str) -> _Found:
    if not isinstance(raw, dict):
        raise _Bad(f"is {_kind(raw)}, not an object")
    name = _name(raw, "name")
    if not name:
        raise _Bad("no name")
    facts = SpaceFacts(
        name=name,
        heroku_id=_name(raw, "id"),
        shield=_bool(raw, "shield"),
        region=_ref_name(raw, "region"),
        team=_ref_name(raw, "team") or _ref_name(raw, "organization"),
        state=_str(raw, "state"),
    )
    return _Found(spaces=[facts])


def _app(raw: Any, label: str) -> _Found:
    """An app object: `space` is `{id, name, shield}` or null (Common Runtime); `region`, `team` and
    `generation` may be `{id, name}` objects or plain strings."""
    if not isinstance(raw, dict):
        raise _Bad(f"is {_kind(raw)}, not an object")
    name = _name(raw, "name")
    if not name:
        raise _Bad("no name")
    found = _Found()
    space: str | None = None
    space_known = False
    shield: bool | None = None
    if "space" in raw:
        space_raw = _obj(raw, "space")
        if space_raw is None:  # Common Runtime: no space, so no Shield
            space_known, shield = True, False
        else:
            space = _name(space_raw, "name", "space.")
            shield = _bool(space_raw, "shield", "space.")
            if space:
                space_known = True
                found.spaces.append(SpaceFacts(name=space, heroku_id=_name(space_raw, "id", "space."), shield=shield))
            else:
                found.notes.append(Skipped(f"space of {label}", "no name: the app's space is unknown"))
    found.apps.append(
        AppFacts(
            name=name,
            heroku_id=_name(raw, "id"),
            team=_ref_name(raw, "team") or _ref_name(raw, "organization"),
            region=_ref_name(raw, "region"),
            space=space,
            space_known=space_known,
            shield=shield,
            generation=_ref_name(raw, "generation"),
        )
    )
    return found


# --------------------------------------------------------------------------------------------------
# Assembling an estate


class _Builder:
    def __init__(self, source: Source) -> None:
        self.estate = Estate(source=source)
        self.first_label: dict[str, str] = {}  # add-on id -> label of its first occurrence
        self.stub_apps: set[str] = set()  # billing apps of add-ons the user cannot read
        self.unsure_apps: set[str] = set()  # apps a skipped add-on belongs to
        self.unsure_all = False  # a skipped add-on whose app is unknown: no app is complete

    @staticmethod
    def _put(table: dict[str, T], key: str, facts: T) -> None:
        table[key] = _merge(table[key], facts) if key in table else facts

    def commit(self, found: _Found, label: str) -> None:
        e = self.estate
        for space in found.spaces:
            self._put(e.spaces, space.name, space)
        for app in found.apps:
            self._put(e.apps, app.name, app)
        for service in found.services:
            self._put(e.services, service.name, service)
        for plan in found.plans:
            self._put(e.plans, plan.name, plan)
        e.skipped.extend(found.notes)
        addon = found.addon
        if addon is None:
            return
        if found.stub:
            self.stub_apps.add(addon.app)
        existing = e.addons.get(addon.heroku_id)
        if existing is None:
            e.addons[addon.heroku_id] = addon
            self.first_label[addon.heroku_id] = label
        elif existing != addon:
            first = self.first_label[addon.heroku_id]
            e.skipped.append(Skipped(label, f"same id as {first} but different details; kept {first}"))

    def skip(self, label: str, reason: str, *, addon_raw: Any = None, is_addon: bool = False) -> None:
        self.estate.skipped.append(Skipped(label, reason))
        if is_addon:
            mentioned = _apps_mentioned(addon_raw)
            if mentioned is None:
                self.unsure_all = True
            else:
                self.unsure_apps |= mentioned

    def add(
        self, what: str, index: int, raw: Any, parse: Any, *, is_addon: bool = False, **kwargs: Any
    ) -> _Found | None:
        label = _label(what, index, raw)
        try:
            found = parse(raw, label, **kwargs)
        except _Bad as bad:
            self.skip(label, str(bad), addon_raw=raw, is_addon=is_addon)
            return None
        self.commit(found, label)
        return found

    @property
    def addon_skipped(self) -> bool:
        return self.unsure_all or bool(self.unsure_apps)

    def sure(self, apps: set[str]) -> set[str]:
        """`apps` without those a skipped add-on belongs to (all of them if its app is unknown)."""
        return set() if self.unsure_all else apps - self.unsure_apps


def _listed_in_full(addons: Iterable[AddonFacts], stub_apps: set[str]) -> set[str]:
    """The apps whose add-ons a `heroku addons` file lists in full.

    `--all` lists every add-on of every app the user can read, so every billing app is complete.
    `--app X` lists X's add-ons *and* add-ons billed to other apps that are attached to X: those other
    apps are not complete. The content cannot always tell the two apart. When some app touches every
    add-on in the file (as billing app or by an attachment), the file may be an `--app` listing: then
    only that app is complete, and none when several apps qualify. Otherwise it is an `--all` listing.
    Billing apps of add-ons the user cannot read (`{}` service and plan) are never complete."""
    addons = list(addons)
    billing = {a.app for a in addons} - stub_apps
    touched = [{a.app} | {att.app for att in a.attachments or ()} for a in addons]
    candidates = set.intersection(*touched) if touched else set()
    if not candidates:
        return billing
    return billing & candidates if len(candidates) == 1 else set()


def _parse_addons(values: list[Any], builder: _Builder) -> None:
    for index, raw in enumerate(values, 1):
        builder.add("add-on", index, raw, _addon, is_addon=True)
    addons = builder.estate.addons
    # `heroku addons --all --json` does not fetch attachments and prints `[]` for every add-on. When no
    # add-on in the file lists a single attachment, `[]` means "not listed", not "attached nowhere".
    if addons and not any(a.attachments for a in addons.values()):
        for heroku_id, addon in list(addons.items()):
            addons[heroku_id] = dataclasses.replace(addon, attachments=None)


def _check_count(count: int, max_addons: int, what: str) -> None:
    if count > max_addons:
        raise HerokuFileError(
            f"the file lists {count} {what}; at most {max_addons} are read from one file. "
            "Export one app at a time (heroku addons --app APP --json) and import each file."
        )


def _estate_from_addons(values: list[Any]) -> Estate:
    builder = _Builder("addons")
    _parse_addons(values, builder)
    builder.estate.complete_apps = builder.sure(_listed_in_full(builder.estate.addons.values(), builder.stub_apps))
    return builder.estate


def _estate_from_plans(values: list[Any]) -> Estate:
    builder = _Builder("plans")
    for index, raw in enumerate(values, 1):
        builder.add("plan", index, raw, _plan)
    return builder.estate


def _estate_from_apps_info(value: dict[str, Any], max_addons: int) -> Estate:
    builder = _Builder("apps_info")
    app_raw = value["app"]
    name = app_raw.get("name")
    label = f"app '{name}'" if isinstance(name, str) and name else "app"
    found: _Found | None = None
    try:
        found = _app(app_raw, label)
    except _Bad as bad:
        builder.skip(label, str(bad))
    else:
        builder.commit(found, label)
    addons = value.get("addons")
    listed = isinstance(addons, list)
    if listed:
        _check_count(len(addons), max_addons, "add-ons")
        _parse_addons(addons, builder)
    elif addons is not None:
        builder.skip("addons", f"is {_kind(addons)}, not an array: the app's add-ons are unknown")
    if found is not None and listed and not builder.addon_skipped:
        builder.estate.complete_apps = {found.apps[0].name}
    return builder.estate


# --------------------------------------------------------------------------------------------------
# Public entry points


def _decode(data: bytes) -> Any:
    if not data.strip():
        raise HerokuFileError(f"the file is empty: expected {EXPECTED}")
    try:
        return json.loads(data)
    except json.JSONDecodeError as err:
        rest = err.doc[err.pos :].strip()  # what follows the error: nothing, or a cut `true`/`false`/`null`
        cut_off = err.msg.startswith("Unterminated string") or any(word.startswith(rest) for word in _WORDS)
        hint = (
            " The file ends too early: it looks cut off. Export it again and upload the whole file."
            if cut_off
            else " Upload the file exactly as the Heroku CLI printed it (with --json)."
        )
        what = err.msg.removesuffix(" starting at")  # "Unterminated string starting at" names no place
        raise HerokuFileError(f"not valid JSON at line {err.lineno}, column {err.colno}: {what}.{hint}") from None
    except UnicodeDecodeError as err:
        raise HerokuFileError(
            f"not UTF-8 text (byte {err.object[err.start]:#04x} at offset {err.start}): "
            "upload the JSON file the Heroku CLI wrote"
        ) from None
    except RecursionError:
        raise HerokuFileError(f"the JSON is nested too deeply to be Heroku CLI output: expected {EXPECTED}") from None
    except ValueError as err:  # e.g. an integer with thousands of digits
        raise HerokuFileError(f"not usable JSON ({err}): expected {EXPECTED}") from None


def parse_cli_json(data: bytes, *, max_addons: int = 100_000) -> Estate:
    """Read a Heroku CLI JSON export, recognised by its content.

    Returns an Estate whose `source` is "addons", "apps_info" or "plans" (an empty array is an empty
    "addons" estate). Raises HerokuFileError, with a message for the user, when the file is not JSON,
    is none of the recognised shapes, or lists more than `max_addons` entries."""
    value = _decode(data)
    if isinstance(value, list):
        _check_count(len(value), max_addons, "entries")
        for index, item in enumerate(value, 1):
            if not isinstance(item, dict):
                raise HerokuFileError(
                    f"entry #{index} of the top-level array is {_kind(item)}, not an object: expected {EXPECTED}"
                )
        if not value or any(_ADDON_KEYS & item.keys() for item in value):
            return _estate_from_addons(value)
        if any(_PLAN_KEYS & item.keys() for item in value):
            return _estate_from_plans(value)
        hint = ""
        if any("git_url" in item or "stack" in item for item in value):
            hint = " This looks like a list of apps (heroku apps --json), which does not say which add-ons they have."
        raise HerokuFileError(f"an array of objects that are neither add-ons nor plans: expected {EXPECTED}.{hint}")
    if isinstance(value, dict):
        if isinstance(value.get("app"), dict) and "addons" in value:
            return _estate_from_apps_info(value, max_addons)
        hint = ""
        if "addon_service" in value or "plan" in value:
            hint = (
                " This looks like a single add-on (heroku addons:info): export heroku addons --app APP --json instead."
            )
        raise HerokuFileError(
            f"a JSON object that is not heroku apps:info output (no app and addons): expected {EXPECTED}.{hint}"
        )
    raise HerokuFileError(f"the file holds {_kind(value)}, not an array or object: expected {EXPECTED}")


def estate_from_api(
    apps: list[dict[str, Any]],
    spaces: list[dict[str, Any]],
    addons: list[dict[str, Any]],
    attachments: list[dict[str, Any]],
    plans: list[dict[str, Any]],
) -> Estate:
    """Build the estate a Platform API sync saw, from the raw objects of `GET /apps` (or
    `GET /apps/{app}` each, whose `space` carries `shield`), `GET /spaces`, `GET /addons`,
    `GET /addon-attachments` and `GET /addon-services/{service}/plans/{plan}` for the plans in use.

    Source "api"; every app in `apps` is complete and `everything` is True, except that an add-on that
    had to be skipped takes its apps out of `complete_apps` and sets `everything` False, so it is
    never taken for gone. An attachment to an add-on that is not in `addons` (billed to an app the
    token cannot read) gives that add-on with its service and plan unknown."""
    builder = _Builder("api")
    for index, raw in enumerate(spaces, 1):
        builder.add("space", index, raw, _space)
    for index, raw in enumerate(plans, 1):
        builder.add("plan", index, raw, _plan)
    listed_apps: set[str] = set()
    for index, raw in enumerate(apps, 1):
        label = _label("app", index, raw)
        try:
            found = _app(raw, label)
        except _Bad as bad:
            builder.skip(label, str(bad))
            continue
        app = found.apps[0]
        space = builder.estate.spaces.get(app.space) if app.space else None
        if app.shield is None and space is not None:  # GET /apps may leave shield out of `space`
            found.apps[0] = dataclasses.replace(app, shield=space.shield)
        builder.commit(found, label)
        listed_apps.add(app.name)

    # Attachments, grouped by add-on id. An attachment we cannot read leaves its add-on's list unknown.
    by_addon: dict[str, list[AttachmentFacts]] = {}
    refs: dict[str, tuple[int, dict[str, Any]]] = {}
    unreadable: set[str] = set()
    for index, raw in enumerate(attachments, 1):
        label = _label("add-on attachment", index, raw)
        ref = raw.get("addon") if isinstance(raw, dict) else None
        addon_id = ref.get("id") if isinstance(ref, dict) else None
        try:
            if not isinstance(addon_id, str) or not addon_id:
                raise _Bad("no addon.id")
            facts, app = _attachment(raw, "the attachment")
        except _Bad as bad:
            builder.skip(label, str(bad))
            if isinstance(addon_id, str):
                unreadable.add(addon_id)
            continue
        builder.commit(_Found(apps=[app]), label)
        by_addon.setdefault(addon_id, []).append(facts)
        refs.setdefault(addon_id, (index, ref))  # type: ignore[arg-type]

    def attached(addon_id: str) -> tuple[AttachmentFacts, ...] | None:
        return None if addon_id in unreadable else _sorted_attachments(by_addon.get(addon_id, ()))

    listed_addons: set[str] = set()
    for index, raw in enumerate(addons, 1):
        addon_id = raw.get("id") if isinstance(raw, dict) else None
        key = addon_id if isinstance(addon_id, str) else ""
        builder.add("add-on", index, raw, _addon, is_addon=True, attachments=attached(key), from_api=True)
        listed_addons.add(key)
    for addon_id, (index, ref) in refs.items():
        if addon_id in listed_addons:
            continue
        stub = {"id": addon_id, "name": ref.get("name"), "app": ref.get("app")}
        builder.add(
            "add-on of attachment", index, stub, _addon, is_addon=True, attachments=attached(addon_id), from_api=True
        )

    builder.estate.complete_apps = builder.sure(listed_apps)
    builder.estate.everything = not builder.addon_skipped
    return builder.estate
