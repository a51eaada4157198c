"""The `riskreg` command. Each domain adds its sub-commands here."""

import sys
from typing import Annotated

import typer

from app import __version__

cli = typer.Typer(help="riskreg: the vendor and Heroku add-on risk register.", no_args_is_help=True)


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
        f"integrations created {report.integrations_created}, already present {report.integrations_existing}"
    )


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
