"""The deployment files (Dockerfile, Procfile, app.json, README) name files and commands that exist.

Docker and Heroku cannot run here: these tests read the files and check them against the code.
"""

import fnmatch
import json
import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import typer
from pydantic import AliasChoices

from app.cli import cli
from app.core.config import Settings
from app.core.health import router as health_router

ROOT = Path(__file__).resolve().parents[1]
# What the platforms put in $PORT; substituted before the arguments are parsed.
ENVIRONMENT = {"PORT": "8000"}


# --- helpers -------------------------------------------------------------------------------------


def read(name: str) -> str:
    path = ROOT / name
    assert path.is_file(), f"{name} is missing"
    return path.read_text(encoding="utf-8")


def console_scripts() -> dict[str, str]:
    return tomllib.loads(read("pyproject.toml"))["project"]["scripts"]


def cli_commands() -> dict[str, Any]:
    """The sub-commands of `riskreg`, from Typer's click conversion (Typer may vendor its own click)."""
    group = typer.main.get_command(cli)
    commands = getattr(group, "commands", None)
    assert commands, "app.cli.cli has no sub-commands"
    return dict(commands)


def expand(token: str) -> str:
    return re.sub(r"\$\{?([A-Z_][A-Z0-9_]*)\}?", lambda m: ENVIRONMENT.get(m.group(1), m.group(0)), token)


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a `a && b; c` shell line, each as argv (a leading `exec` dropped)."""
    commands = []
    for part in re.split(r"&&|\|\||;", script):
        argv = shlex.split(part)
        if argv and argv[0] == "exec":
            argv = argv[1:]
        if argv:
            commands.append(argv)
    return commands


def parse_riskreg(argv: list[str]) -> tuple[str, dict[str, object]]:
    """Checks argv is `riskreg <sub-command> …` as the installed CLI would parse it; returns its params."""
    assert argv[0] in console_scripts(), f"{argv[0]!r} is not a console script in pyproject.toml"
    assert console_scripts()[argv[0]] == "app.cli:main"
    assert len(argv) > 1, f"{shlex.join(argv)}: no sub-command"
    name, args = argv[1], [expand(a) for a in argv[2:]]
    commands = cli_commands()
    assert name in commands, f"{shlex.join(argv)}: `{name}` is not one of {sorted(commands)}"
    try:
        ctx = commands[name].make_context(f"riskreg {name}", args)
    except Exception as exc:  # click's UsageError/BadParameter: the arguments do not parse
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        pytest.fail(f"{shlex.join(argv)}: {message}")
    return name, dict(ctx.params)


# --- Dockerfile ----------------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in read("Dockerfile").splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    assert not pending, "Dockerfile ends with a line continuation"
    return instructions


def instruction_args(rest: str) -> list[str]:
    """The exec (JSON) form as a list, or the shell form split into words."""
    if rest.startswith("["):
        return json.loads(rest)
    return shlex.split(rest)


def copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY/ADD, with destinations made absolute against WORKDIR."""
    workdir = PurePosixPath("/")
    found = []
    for keyword, rest in dockerfile():
        if keyword == "WORKDIR":
            workdir = workdir / rest
        elif keyword in ("COPY", "ADD"):
            words = [w for w in instruction_args(rest) if not w.startswith("--")]
            *sources, dest = words
            found.append((sources, str(workdir / dest)))
    return found


def docker_commands() -> list[list[str]]:
    """The commands the container runs at start: ENTRYPOINT + CMD, unwrapping `sh -c '…'`."""
    entrypoint: list[str] = []
    cmd: list[str] = []
    for keyword, rest in dockerfile():
        if keyword in ("ENTRYPOINT", "CMD"):
            argv = instruction_args(rest) if rest.startswith("[") else ["/bin/sh", "-c", rest]
            if keyword == "ENTRYPOINT":
                entrypoint = argv
            else:
                cmd = argv
    # A shell-form ENTRYPOINT ignores CMD; an exec-form one takes CMD as its arguments.
    start = entrypoint if entrypoint[:2] == ["/bin/sh", "-c"] else entrypoint + cmd
    assert start, "the Dockerfile has no CMD or ENTRYPOINT"
    if start[0] in ("sh", "/bin/sh") and start[1:2] == ["-c"]:
        return shell_commands(start[2])
    return [start]


def test_dockerfile_copies_only_files_that_exist_and_are_not_ignored():
    ignored = [p.strip() for p in read(".dockerignore").splitlines() if p.strip() and not p.startswith("#")]
    all_sources = [s for sources, _ in copies() for s in sources]
    assert all_sources, "the Dockerfile copies nothing"
    empty = []
    for source in all_sources:
        path = ROOT / source
        assert path.exists(), f"COPY {source}: not in the repository"
        name = source.rstrip("/")
        assert not any(fnmatch.fnmatch(name, pattern.rstrip("/")) for pattern in ignored), (
            f"COPY {source}: excluded from the build context by .dockerignore"
        )
        if path.is_dir() and not any(p.is_file() for p in path.rglob("*")):
            empty.append(source)
    # Git keeps no empty folders, so from a fresh clone `COPY <empty folder>` would fail the build.
    assert not empty, f"COPY {', '.join(empty)}: empty folder, absent from a git clone; docker build would fail"


def test_dockerfile_keeps_alembic_files_next_to_the_app_package():
    """app/core/migrations.py looks for alembic.ini and migrations/ in the folder above `app/`.

    So the image installs the source in editable mode, and copies those next to the package.
    """
    workdirs = [rest for keyword, rest in dockerfile() if keyword == "WORKDIR"]
    assert workdirs, "the Dockerfile sets no WORKDIR"
    root = PurePosixPath(workdirs[-1])
    dest = {source.rstrip("/"): d for sources, d in copies() for source in sources}
    assert dest["app"] == str(root / "app")
    assert dest["alembic.ini"] in (str(root), str(root / "alembic.ini"))
    assert dest["migrations"] == str(root / "migrations")
    runs = " ".join(rest for keyword, rest in dockerfile() if keyword == "RUN")
    assert re.search(r"pip install [^&]*(-e|--editable) \.", runs), "the image must `pip install -e .`"


def test_dockerfile_starts_by_migrating_then_serving_on_port():
    commands = docker_commands()
    parsed = [parse_riskreg(argv) for argv in commands]
    assert [name for name, _ in parsed] == ["migrate", "serve"]
    serve = parsed[-1][1]
    assert serve["host"] == "0.0.0.0"
    assert serve["port"] == int(ENVIRONMENT["PORT"])
    assert any(re.search(r"\$\{?PORT\}?", arg) for arg in commands[-1]), "serve must take its port from $PORT"


def test_dockerfile_port_base_image_and_healthcheck_agree_with_the_code():
    instructions = dockerfile()
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    port = re.search(r"\bPORT=(\d+)", env)
    assert port, "the Dockerfile sets no default PORT"
    assert [rest for keyword, rest in instructions if keyword == "EXPOSE"] == [port.group(1)]

    base = next(rest for keyword, rest in instructions if keyword == "FROM")
    assert re.fullmatch(r"python:(\d+\.\d+)-slim(-\w+)?", base), base
    assert base.split(":")[1].startswith(read(".python-version").strip() + "-")

    healthcheck = next(rest for keyword, rest in instructions if keyword == "HEALTHCHECK")
    assert "/healthz" in healthcheck and "urllib" in healthcheck
    assert "/healthz" in {route.path for route in health_router.routes}


# --- Heroku --------------------------------------------------------------------------------------


def procfile() -> dict[str, str]:
    processes = {}
    for line in read("Procfile").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            assert name.strip() not in processes, f"Procfile declares {name} twice"
            processes[name.strip()] = command.strip()
    return processes


def test_procfile_web_binds_all_interfaces_on_port():
    command = procfile()["web"]
    [argv] = shell_commands(command)
    name, params = parse_riskreg(argv)
    assert name == "serve"
    assert params["host"] == "0.0.0.0"
    assert argv[argv.index("--port") + 1] in ("$PORT", "${PORT}")


def test_procfile_release_runs_the_migrations():
    [argv] = shell_commands(procfile()["release"])
    assert parse_riskreg(argv) == ("migrate", {"revision": "head"})


def test_python_version_for_the_buildpack_satisfies_pyproject():
    version = read(".python-version").strip()
    assert re.fullmatch(r"3\.\d+", version)
    requires = tomllib.loads(read("pyproject.toml"))["project"]["requires-python"]
    minimum = re.fullmatch(r">=\s*3\.(\d+)", requires)
    assert minimum and int(version.split(".")[1]) >= int(minimum.group(1))


def settings_env_names() -> dict[str, set[str]]:
    """Each setting and the environment variables it is read from."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = {}
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names[field_name] = {str(choice) for choice in alias.choices}
        elif isinstance(alias, str):
            names[field_name] = {alias}
        else:
            names[field_name] = {f"{prefix}{field_name}".upper()}
    return names


def test_app_json_generates_the_secret_and_provisions_postgres():
    manifest = json.loads(read("app.json"))
    env = manifest["env"]
    assert env["RISKREG_SECRET_KEY"]["generator"] == "secret"
    assert "value" not in env["RISKREG_SECRET_KEY"]
    assert env["RISKREG_ENV"]["value"] == "production"
    known = set().union(*settings_env_names().values())
    assert set(env) <= known, f"app.json sets variables riskreg does not read: {sorted(set(env) - known)}"

    plans = [addon if isinstance(addon, str) else addon["plan"] for addon in manifest["addons"]]
    assert any(plan.split(":")[0] == "heroku-postgresql" for plan in plans)
    assert manifest["formation"]["web"]["quantity"] >= 1
    assert {"url": "heroku/python"} in manifest["buildpacks"]
    postdeploy = manifest.get("scripts", {}).get("postdeploy")
    if postdeploy:
        for argv in shell_commands(postdeploy):
            parse_riskreg(argv)


# --- README --------------------------------------------------------------------------------------


def readme_section(title: str) -> str:
    text = read("README.md")
    match = re.search(rf"^## {re.escape(title)}[ \t]*\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def test_readme_quick_start_is_make_run_and_make_test():
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", readme_section("Quick start"), flags=re.M | re.S)
    assert len(blocks) == 1, "Quick start should have one code block"
    commands = [line.strip() for line in blocks[0].splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    targets = set(re.findall(r"^([a-z][\w-]*):", read("Makefile"), flags=re.M))
    assert {"run", "test"} <= targets


def test_readme_configuration_table_lists_every_setting():
    rows = [line for line in readme_section("Configuration").splitlines() if line.startswith("|")]
    documented = set()
    for row in rows[2:]:  # after the header and its separator
        first_cell = row.strip("|").split("|")[0]
        documented |= set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", first_cell))
    names = settings_env_names()
    missing = [field for field, env_names in names.items() if not env_names & documented]
    assert not missing, f"README's Configuration table does not list the settings {missing}"
    unknown = documented - set().union(*names.values())
    assert not unknown, f"README's Configuration table lists variables riskreg does not read: {sorted(unknown)}"
