"""The `riskreg` command. Each domain adds its sub-commands here."""

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app import __version__

if TYPE_CHECKING:
    from datetime import date

    from app.audit.service import Actor
    from app.heroku.importer import ImportReport

cli = typer.Typer(help="riskreg: the vendor and Heroku add-on risk register.", no_args_is_help=True)
users_cli = typer.Typer(help="Manage user accounts and their roles.", no_args_is_help=True)
tokens_cli = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
audit_cli = typer.Typer(help="Verify and export the audit trail.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
cli.add_typer(tokens_cli, name="tokens")
cli.add_typer(audit_cli, name="audit")
documents_cli = typer.Typer(help="Agreements and evidence: check the stored files.", no_args_is_help=True)
cli.add_typer(documents_cli, name="documents")
records_cli = typer.Typer(help="Signed assessment records: verify a PDF.", no_args_is_help=True)
cli.add_typer(records_cli, name="records")
heroku_cli = typer.Typer(help="The Heroku estate: import CLI exports, sync from the Platform API.", no_args_is_help=True)
cli.add_typer(heroku_cli, name="heroku")


class RoleName(StrEnum):
    """app.auth.models.Role's values, repeated so `riskreg --help` need not import the models
    (tests/auth/test_cli.py checks the two agree)."""

    admin = "admin"
    security = "security"
    procurement = "procurement"
    engineer = "engineer"
    legal = "legal"
    auditor = "auditor"


class ExportFormat(StrEnum):
    jsonl = "jsonl"


@cli.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply database migrations (Heroku runs this in the release phase)."""
    from app.core import migrations
    from app.core.config import get_settings

    migrations.upgrade(revision=revision)
    typer.echo(f"database at {revision}: {_safe_url(get_settings().database_url)}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default RISKREG_HOST, 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default $PORT, then 8000)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve the web app and API with uvicorn."""
    import uvicorn

    from app.core.config import get_settings
    from app.core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips="*" if settings.is_production else "127.0.0.1",
        log_config=None,
        access_log=False,
    )


@cli.command("seed-demo")
def seed_demo(
    force: Annotated[bool, typer.Option("--force", help="Seed even when RISKREG_ENV=production")] = False,
) -> None:
    """Fill the register with a realistic demo estate; running it again adds nothing twice."""
    from app.core.db import session_scope
    from app.demo import jobs as demo_jobs

    with session_scope() as session:
        report = demo_jobs.seed_demo(session, force=force)
    typer.echo(
        f"demo data: vendors created {report.vendors_created}, already present {report.vendors_existing}; "
        f"integrations created {report.integrations_created}, already present {report.integrations_existing}; "
        f"documents created {report.documents_created}; Heroku add-ons imported {report.addons_created}"
    )
    if report.users_refused_in_production:
        typer.echo("demo users: none created, RISKREG_ENV=production (their password is public); "
                   "create real accounts with `riskreg users create`")
        return
    typer.echo(f"demo users: created {report.users_created}, already present {report.users_existing}")
    signing_dir = demo_jobs.ensure_demo_signing_key()
    if signing_dir:
        typer.echo(f"development signing key: {signing_dir} (legal can sign records; `riskreg signing show`)")
    typer.echo(_sign_in_help(some_existed=report.users_existing > 0))


def _sign_in_help(*, some_existed: bool) -> str:
    from app.core.config import get_settings
    from app.demo import data

    settings = get_settings()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    width = max(len(u.email) for u in data.DEMO_USERS)
    accounts = "\n".join(f"  {u.email:<{width}}  {u.role}" for u in data.DEMO_USERS)
    return (
        f"\nSign in at http://{host}:{settings.port}/login with password {data.DEMO_PASSWORD} as one of:\n"
        f"{accounts}\n"
        + ("(accounts that already existed keep the password they have)\n" if some_existed else "")
        + "API token: .venv/bin/riskreg tokens create --email admin@riskreg.local --name local\n"
        "  then send it as `Authorization: Bearer <token>` to /api/v1/..."
    )


# --- users and tokens ---


def _cli_actor() -> "Actor":
    """Changes made from the CLI are recorded as the system user that ran it: `cli:<login>`."""
    import getpass

    from app.audit.service import Actor

    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # no USER/LOGNAME and no passwd entry (some containers)
        login = "unknown"
    return Actor.system(f"cli:{login}")


def _stdin_is_tty() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _ask_password() -> str:
    from app.auth import service as auth_service

    password = typer.prompt("Password (at least 12 characters)", hide_input=True, err=True)
    auth_service.check_password_strength(password)
    if typer.prompt("Repeat the password", hide_input=True, err=True) != password:
        typer.echo("error: the two passwords differ; nothing was created", err=True)
        raise typer.Exit(1)
    return password


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in e-mail address (stored lower-case)")],
    role: Annotated[RoleName, typer.Option(help="What the user may do (see the README's permission table)")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the address before the @)")] = None,
    generate_password: Annotated[
        bool, typer.Option("--generate-password", help="Generate a strong password and print it once")
    ] = False,
) -> None:
    """Create a user. Asks for the password twice (hidden) on a terminal; generates one with
    --generate-password or when stdin is not a terminal, and prints it once."""
    from app.auth import jobs as auth_jobs
    from app.auth.models import Role
    from app.core.db import open_session, session_scope

    password = None
    if not generate_password and _stdin_is_tty():
        with open_session(write=False) as session:  # refuse a taken address before anyone types a password
            auth_jobs.check_new_user(session, email)
        password = _ask_password()
    with session_scope() as session:
        created = auth_jobs.create_user(
            session, actor=_cli_actor(), email=email, role=Role(role.value), name=name, password=password
        )
        user = created.user
        summary = f"created user {user.email} (id {user.id}, role {user.role}, name {user.name!r})"
    if created.generated_password is None:
        typer.echo(summary)
        return
    typer.echo(f"{summary}; generated password, shown only now:", err=True)
    typer.echo(created.generated_password)


@users_cli.command("disable")
def users_disable(email: Annotated[str, typer.Option(help="The user's e-mail address")]) -> None:
    """Disable a user: their API tokens and web sessions stop working at once."""
    from app.auth import jobs as auth_jobs
    from app.core.db import session_scope

    with session_scope() as session:
        user = auth_jobs.disable_user(session, actor=_cli_actor(), email=email)
    typer.echo(f"disabled user {user.email}; their API tokens and sessions no longer work")


@users_cli.command("enable")
def users_enable(email: Annotated[str, typer.Option(help="The user's e-mail address")]) -> None:
    """Let a disabled user sign in again; their old API tokens stay revoked."""
    from app.auth import jobs as auth_jobs
    from app.core.db import session_scope

    with session_scope() as session:
        user = auth_jobs.enable_user(session, actor=_cli_actor(), email=email)
    typer.echo(f"enabled user {user.email}; they can sign in again and need new API tokens")


@users_cli.command("list")
def users_list() -> None:
    """List every user: e-mail, role, active or disabled, name."""
    from app.auth import jobs as auth_jobs
    from app.core.db import open_session

    with open_session(write=False) as session:
        rows = [
            (u.email, u.role, "active" if u.disabled_at is None else "disabled", u.name)
            for u in auth_jobs.iter_users(session)
        ]
    if not rows:
        typer.echo("no users yet; create one with `riskreg users create --email E --role admin`", err=True)
        return
    _table(("email", "role", "status", "name"), rows)


@tokens_cli.command("create")
def tokens_create(
    email: Annotated[str, typer.Option(help="The user the token acts as")],
    name: Annotated[str, typer.Option(help="What the token is for, such as the machine or script using it")],
    expires_in: Annotated[
        int | None, typer.Option("--expires-in", min=1, metavar="DAYS", help="Expire after DAYS days (default: never)")
    ] = None,
) -> None:
    """Create an API token for a user and print it once (only its hash is stored)."""
    from app.auth import jobs as auth_jobs
    from app.core.db import session_scope

    with session_scope() as session:
        issued = auth_jobs.create_token(
            session, actor=_cli_actor(), email=email, name=name, expires_in_days=expires_in
        )
    token = issued.token
    expiry = f"expires {_when(token.expires_at)}" if token.expires_at else "never expires"
    summary = f"created API token {token.name!r} (id {token.id}) for {auth_jobs.check_email(email)}, {expiry}"
    typer.echo(f"{summary}; send it as `Authorization: Bearer <token>`; shown only now:", err=True)
    typer.echo(issued.secret)


@tokens_cli.command("revoke")
def tokens_revoke(
    email: Annotated[str | None, typer.Option(help="The token's user")] = None,
    name: Annotated[str | None, typer.Option(help="Revoke this user's tokens of this name")] = None,
    token_id: Annotated[int | None, typer.Option("--id", help="Revoke the token with this id")] = None,
) -> None:
    """Revoke a token by --id, or a user's tokens by --email and --name. It stops working at once."""
    from app.auth import jobs as auth_jobs
    from app.core.db import session_scope

    if token_id is None and (email is None or name is None):
        raise typer.BadParameter("give --id ID, or --email E and --name N")
    with session_scope() as session:
        result = auth_jobs.revoke_tokens(session, actor=_cli_actor(), email=email, name=name, token_id=token_id)
    for token in result.revoked:  # reported once committed
        typer.echo(f"revoked API token {token.name!r} (id {token.id})")
    for token in result.already_revoked:
        typer.echo(f"API token {token.name!r} (id {token.id}) was already revoked on {_when(token.revoked_at)}")


@tokens_cli.command("list")
def tokens_list(email: Annotated[str, typer.Option(help="The user whose tokens to list")]) -> None:
    """List a user's API tokens (never the secrets): id, name, prefix, state, created, expires."""
    from app.auth import jobs as auth_jobs
    from app.core.db import open_session, utcnow

    with open_session(write=False) as session:
        tokens = auth_jobs.list_tokens(session, email=email)
    now = utcnow()
    rows = [
        (str(t.id), t.name, t.prefix + "…", auth_jobs.token_state(t, now=now), _when(t.created_at),
         _when(t.expires_at) if t.expires_at else "never")
        for t in tokens
    ]
    if not rows:
        typer.echo(f"{email} has no API tokens", err=True)
        return
    _table(("id", "name", "prefix", "state", "created", "expires"), rows)


# --- audit trail ---


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain: exit 0 if intact, else exit 1 naming the first broken event."""
    from app.audit import jobs as audit_jobs
    from app.core.db import open_session

    with open_session(write=False) as session:
        verdict = audit_jobs.verify(session)
    if verdict.ok:
        if verdict.head_seq is None:
            typer.echo("audit trail intact: 0 events")
        else:
            typer.echo(
                f"audit trail intact: {verdict.checked} events, head seq {verdict.head_seq}, hash {verdict.head_hash}"
            )
        return
    typer.echo(
        f"audit trail BROKEN at seq {verdict.first_bad_seq}: {verdict.problem} "
        f"({verdict.checked} event{'' if verdict.checked == 1 else 's'} before it verified)",
        err=True,
    )
    raise typer.Exit(1)


@documents_cli.command("verify")
def documents_verify() -> None:
    """Read every stored document file back and check it against its SHA-256: exit 0 if all are intact,
    else exit 1 listing each damaged or missing file and the documents that use it."""
    from app.core.db import open_session
    from app.documents import jobs as document_jobs

    with open_session(write=False) as session:
        report = document_jobs.verify_files(session)
    if report.problems:
        for problem in report.problems:
            typer.echo(f"DAMAGED {problem}", err=True)
        typer.echo(f"{len(report.problems)} of {report.checked} stored files failed their check", err=True)
        raise typer.Exit(1)
    typer.echo(f"stored files intact: {report.checked} files, {report.bytes} bytes checked against their SHA-256")


def _print_import(report: "ImportReport") -> None:
    created = ", ".join(f"{n} {what}" for what, n in report.created.items())
    updated = ", ".join(f"{n} {what}" for what, n in report.updated.items())
    typer.echo(f"{report.source}: created {created}; updated {updated}; unchanged add-ons {report.unchanged_addons}; "
               f"gone {report.gone}; back {report.returned}; requests linked {report.linked}; "
               f"skipped {len(report.skipped)}")
    for vendor in report.vendors_created:
        typer.echo(f"vendor created: {vendor} (check its country and details)")
    for skipped in report.skipped:
        typer.echo(f"skipped {skipped.what}: {skipped.reason}", err=True)


@records_cli.command("verify")
def records_verify(file: Annotated[Path, typer.Argument(help="A PDF record, as downloaded")]) -> None:
    """Check a record: intact, signed by our trusted certificate, covering the entire file, the one we
    stored, and its embedded snapshot recomputes. Exit 0 only when all hold; else exit 1 saying why."""
    from app.assessments import jobs as assessment_jobs
    from app.core.db import open_session

    try:
        data = file.read_bytes()
    except OSError as error:
        typer.echo(f"error: cannot read {file}: {error.strerror}", err=True)
        raise typer.Exit(1) from None
    with open_session(write=False) as session:
        result = assessment_jobs.verify_record(session, data)
    marks = {True: "yes", False: "NO", None: "no snapshot"}
    typer.echo(f"file sha256: {result.sha256}")
    typer.echo(f"intact: {marks[result.intact]}; trusted signer: {marks[result.trusted]}"
               f"{f' ({result.signer})' if result.signer else ''}; covers the entire file: "
               f"{marks[result.covers_entire_file]}; stored record: {marks[result.matches_stored_record]}; "
               f"score recomputes: {marks[result.recomputes]}")
    if result.assessment is not None:
        a = result.assessment
        typer.echo(f"assessment {a.id} of integration {a.integration_id}: {a.decision}, signed "
                   f"{a.signed_at:%Y-%m-%d}, valid until {a.valid_until or '-'} ({a.state})")
    for problem in result.problems:
        typer.echo(f"problem: {problem}", err=True)
    if not result.ok:
        raise typer.Exit(1)
    typer.echo("record verified")


@heroku_cli.command("import")
def heroku_import(
    file: Annotated[Path, typer.Argument(help="heroku addons --all --json, addons --app X --json, apps:info --json "
                                              "or addons:plans SERVICE --json output; - for stdin")],
    complete: Annotated[bool, typer.Option("--complete", help="The file is the whole estate: add-ons of apps it "
                                                              "does not mention are marked gone")] = False,
) -> None:
    """Import a Heroku CLI export, recognised by its content. All or nothing; running it twice changes nothing."""
    from app.core.db import session_scope
    from app.heroku import jobs as heroku_jobs

    try:
        data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as error:
        typer.echo(f"error: cannot read {file}: {error.strerror}", err=True)
        raise typer.Exit(1) from None
    with session_scope() as session:
        report = heroku_jobs.import_file(session, data, actor=_cli_actor(), complete=complete)
    _print_import(report)


@heroku_cli.command("sync")
def heroku_sync() -> None:
    """Read apps, spaces, add-ons, attachments and plan details from the Platform API (HEROKU_API_TOKEN)."""
    from app.core.db import session_scope
    from app.heroku import jobs as heroku_jobs

    with session_scope() as session:
        report = heroku_jobs.sync(session, actor=_cli_actor())
    _print_import(report)


@audit_cli.command("export")
def audit_export(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Only jsonl is supported: one JSON object per event, in seq order")
    ] = ExportFormat.jsonl,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (replaced atomically) instead of stdout"),
    ] = None,
) -> None:
    """Export every audit event, oldest first, as JSON Lines: all columns, `at` in ISO-8601 UTC.

    The hash and prev_hash of each line let an auditor re-check the chain without the database.
    """
    from app.audit import jobs as audit_jobs
    from app.core.db import open_session

    assert fmt is ExportFormat.jsonl  # the only member; the option exists so that others can follow
    with open_session(write=False) as session:
        if output is None or str(output) == "-":
            try:
                result = audit_jobs.export_jsonl(session, sys.stdout)
                sys.stdout.flush()
            except BrokenPipeError:  # `riskreg audit export | head`: the reader left early
                # Point stdout at /dev/null so the interpreter's final flush does not fail again.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise typer.Exit(1) from None
            where = "stdout"
        else:
            try:
                result = audit_jobs.export_jsonl_to_file(session, output)
            except OSError as exc:
                typer.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
                raise typer.Exit(1) from None
            where = str(output)
    head = f", seq 1–{result.head_seq}, head hash {result.head_hash}" if result.head_seq else ""
    typer.echo(f"exported {result.events} audit events{head} to {where}", err=True)


def _when(moment: object) -> str:
    """A UTC datetime as ISO-8601 to the second, with a Z."""
    from datetime import UTC, datetime

    assert isinstance(moment, datetime)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


questionnaires_cli = typer.Typer(help="Questionnaire files: check them, load them, list what is stored.",
                                 no_args_is_help=True)
cli.add_typer(questionnaires_cli, name="questionnaires")


@questionnaires_cli.command("check")
def questionnaires_check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the questionnaire folder)")] = None,
) -> None:
    """Validate questionnaire files without touching the database; exit 1 listing every problem."""
    from app.core.config import get_settings
    from app.questionnaires import jobs as questionnaire_jobs

    catalogue, problems = questionnaire_jobs.check(paths or [get_settings().questionnaire_dir])
    for (key, version), loaded in sorted(catalogue.loaded.items()):
        typer.echo(f"ok  {key} v{version}: {len(loaded.definition.questions())} questions ({loaded.path})")
    for problem in problems:
        typer.echo(f"error  {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s); those files are not loaded", err=True)
        raise typer.Exit(1)
    if not catalogue.loaded:
        typer.echo("no questionnaire files found", err=True)
        raise typer.Exit(1)


@questionnaires_cli.command("load")
def questionnaires_load() -> None:
    """Store the questionnaire folder in the database (the web process also does this at start-up)."""
    from app.core.config import get_settings
    from app.questionnaires import jobs as questionnaire_jobs

    catalogue, report = questionnaire_jobs.load(get_settings().questionnaire_dir)
    typer.echo(f"questionnaires: {len(catalogue.loaded)} loaded, {len(report.added)} added, "
               f"{len(report.updated)} replaced, {len(catalogue.problems) + len(report.refused)} refused")
    for problem in [*catalogue.problems, *report.refused]:
        typer.echo(f"error  {problem}", err=True)
    if catalogue.problems or report.refused:
        raise typer.Exit(1)


signing_cli = typer.Typer(help="The key that signs assessment records: make a development one, show the configured one.",
                          no_args_is_help=True)
cli.add_typer(signing_cli, name="signing")


@signing_cli.command("init")
def signing_init(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to write the files (default RISKREG_DATA_DIR/signing)")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days the signing certificate is valid")] = 365,
    force: Annotated[
        bool, typer.Option("--force", help="Replace existing files; allow it when RISKREG_ENV=production")
    ] = False,
) -> None:
    """Make a development CA and a signing certificate it issues (nobody else trusts this CA)."""
    from datetime import UTC, datetime

    from app.core import signing
    from app.core.config import get_settings
    from app.core.errors import InvalidState

    settings = get_settings()
    if (settings.is_production or settings.dyno) and not force:
        raise InvalidState(
            "`riskreg signing init` makes a development CA that no one else trusts; in production configure a "
            "certificate from your CA with RISKREG_SIGNING_P12 (pass --force to make a development one anyway)"
        )
    target = (directory or settings.data_dir / signing.SIGNING_DIR_NAME).resolve()
    result = signing.init_local_ca(target, days=days, now=datetime.now(UTC), force=force)
    kept = f" (it also keeps {result.kept_earlier_roots} earlier CA certificate(s))" if result.kept_earlier_roots else ""
    typer.echo(f"development signing CA written to {result.directory}; the signing certificate expires "
               f"{_when(result.expires_at)}")
    typer.echo(f"  {result.ca_cert.name:<15} the CA certificate, which verifiers trust{kept}")
    typer.echo(f"  {result.ca_key.name:<15} the CA's private key (0600)")
    typer.echo(f"  {result.signer_p12.name:<15} the signing key and certificate (0600)")
    typer.echo(f"  {result.passphrase_file.name:<15} the passphrase of signer.p12 (0600)")
    typer.echo("Set:")
    typer.echo(f"  RISKREG_SIGNING_P12={result.signer_p12}")
    typer.echo(f'  RISKREG_SIGNING_PASSPHRASE="$(cat {result.passphrase_file})"')
    typer.echo(f"  RISKREG_SIGNING_TRUST_ROOTS={result.ca_cert}")


@signing_cli.command("show")
def signing_show() -> None:
    """Show the signing certificate: subject, issuer, validity window, days left (exit 1 if unusable)."""
    from datetime import UTC, datetime

    from app.core import signing
    from app.core.config import get_settings

    settings = get_settings()
    from app.core.signing import configured_passphrase
    info = signing.certificate_info(settings.signing_p12_path, configured_passphrase(settings))
    now = datetime.now(UTC)
    left = info.days_left(now)
    typer.echo(f"signing key   {settings.signing_p12_path}")
    typer.echo(f"subject       {info.subject}")
    typer.echo(f"issuer        {info.issuer}")
    remaining = f"{left} day{'' if left == 1 else 's'} left" if now < info.not_valid_after else "expired"
    typer.echo(f"valid         {_when(info.not_valid_before)} to {_when(info.not_valid_after)} ({remaining})")
    typer.echo(f"sha256        {info.fingerprint_sha256}")
    typer.echo(f"timestamps    {settings.signing_timestamp_url or 'none (PAdES B-B)'}")
    roots = settings.signing_trust_roots_path
    typer.echo(f"trust roots   {roots or 'not configured (set RISKREG_SIGNING_TRUST_ROOTS to verify signatures)'}")
    signing.check_validity(info, now=now)


reminders_cli = typer.Typer(help="Renewal reminders and estate alerts: announce what falls due, once per lead time.",
                             no_args_is_help=True)
cli.add_typer(reminders_cli, name="reminders")


def _day(value: str | None) -> "date | None":
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD") from None


@reminders_cli.command("run")
def reminders_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be sent; send and record nothing")] = False,
    today: Annotated[str | None, typer.Option("--today", metavar="YYYY-MM-DD",
                                              help="Plan as if it were this day (default: today)")] = None,
) -> None:
    """Send what falls due by e-mail and webhook, each reminder once per lead time and recipient. Safe to run
    late, twice or on two dynos at once (Heroku Scheduler). Exit 1 if a channel failed (retried next run)."""
    from datetime import date

    from app.reminders import jobs as reminder_jobs

    report = reminder_jobs.run(today=_day(today) or date.today(), dry_run=dry_run)
    for line in report.lines():
        typer.echo(line)
    if report.failed:
        typer.echo("some reminders were not sent; they are retried by the next run", err=True)
        raise typer.Exit(1)



class ExportWhat(StrEnum):
    """app.exports.jobs.What's values, repeated so `riskreg --help` need not import the exports."""

    record_of_processing = "record-of-processing"
    register = "register"
    vendors = "vendors"
    integrations = "integrations"
    documents = "documents"
    assessments = "assessments"
    addons = "addons"


class ExportFileFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


class ExportScope(StrEnum):
    current = "current"
    approved = "approved"


@cli.command("export")
def export(
    what: Annotated[ExportWhat, typer.Argument(help="record-of-processing (csv, xlsx, pdf), register (xlsx: a sheet "
                                                    "per list), or one list: vendors, integrations, documents, "
                                                    "assessments, addons (csv, xlsx)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write (replaced atomically, mode 0600)")],
    fmt: Annotated[ExportFileFormat | None, typer.Option("--format", help="csv, xlsx or pdf (default: the output's "
                                                                          "extension)")] = None,
    on: Annotated[str | None, typer.Option("--on", metavar="YYYY-MM-DD", help="Judge agreements and document status "
                                                                           "on this day (default: today)")] = None,
    scope: Annotated[ExportScope, typer.Option(help="Record of processing: current (requested, in review and "
                                                    "approved integrations) or approved only")] = ExportScope.current,
) -> None:
    """Export the register or the record of processing to a file, for scheduled snapshots (Heroku Scheduler)."""
    from datetime import date

    from app.core.db import open_session
    from app.dataflows.service import Scope
    from app.exports import jobs as export_jobs

    chosen = fmt.value if fmt is not None else output.suffix.lstrip(".").lower()
    if chosen not in {f.value for f in ExportFileFormat}:
        raise typer.BadParameter(f"give --format csv, xlsx or pdf (the output's extension '{output.suffix}' does not say)",
                                 param_hint="--format")
    try:
        with open_session(write=False) as session:
            written = export_jobs.export_to_file(
                session, export_jobs.What(what.value), export_jobs.Format(chosen), output,
                today=_day(on) or date.today(), scope=Scope(scope.value),
            )
    except OSError as exc:
        typer.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        if chosen == "pdf":
            from app.assessments import render

            render.shutdown_pool()
    rows = ", ".join(f"{title.lower()} {n}" for title, n in written.rows.items())
    typer.echo(f"exported {what.value} as {chosen} to {written.path} ({written.bytes} bytes; rows: {rows})", err=True)

def _safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    from pydantic import ValidationError
    from sqlalchemy.exc import DBAPIError

    from app.core.errors import DomainError, describe_validation_error

    try:
        cli()
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        sys.exit(1)
    except ValidationError as exc:  # settings from the environment
        problems = "; ".join(describe_validation_error(e).removeprefix("request body: ") for e in exc.errors())
        typer.echo(f"configuration error: {problems}", err=True)
        sys.exit(1)
    except DBAPIError as exc:
        typer.echo(f"database error: {_database_hint(exc)}", err=True)
        sys.exit(1)


def _database_hint(exc: Exception) -> str:
    """One line on what went wrong with the database and what to do, without the SQL or a traceback."""
    from app.core.config import get_settings

    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    url = _safe_url(get_settings().database_url)
    if "no such table" in reason or "does not exist" in reason and "relation" in reason:
        return f"{reason} in {url}; run `riskreg migrate` first"
    return f"{reason} ({url}); check DATABASE_URL and that the server is running"


if __name__ == "__main__":
    main()
