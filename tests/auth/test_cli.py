"""`riskreg users …` and `riskreg tokens …`: real subprocesses on a fresh database, and the jobs they run."""

import os
import pty
import select
import subprocess
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.auth import jobs as auth_jobs
from app.auth import service as auth_service
from app.auth.models import ApiToken, Role, User
from app.cli import RoleName
from app.core import migrations
from app.core.db import make_engine
from app.core.errors import InvalidInput
from app.core.security import verify_password
from tests.conftest import ScratchDatabases
from tests.factories import TEST_ACTOR, make_token, make_user
from tests.test_cli import COMMAND, ROOT, assert_clean_failure, environment

STRONG = "correct horse battery staple"


@dataclass
class Cli:
    """The `riskreg` command pointed at one migrated scratch database, and a way to look inside it."""

    env: dict[str, str]
    url: str

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        # stdin is an empty pipe, never the terminal pytest may have been started from.
        return subprocess.run(
            [*COMMAND, *args], env=self.env, cwd=ROOT, input="", capture_output=True, text=True, timeout=120,
            check=False,
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        engine = make_engine(self.url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                yield session
        finally:
            engine.dispose()


def new_cli(scratch: ScratchDatabases, tmp_path: Path) -> Cli:
    url = scratch.new_url()
    engine = make_engine(url)
    with engine.begin() as connection:
        migrations.upgrade(connection)
    engine.dispose()
    return Cli(env=environment(tmp_path, DATABASE_URL=url), url=url)


@pytest.fixture
def cli(scratch: ScratchDatabases, tmp_path: Path) -> Cli:
    return new_cli(scratch, tmp_path)


def add_user(cli: Cli, email: str, role: Role = Role.engineer) -> None:
    """A user made directly in the database, for tests whose subject is another command."""
    with cli.session() as session:
        make_user(session, role=role, email=email, name=email.split("@")[0])
        session.commit()


def signs_in(cli: Cli, email: str, password: str) -> bool:
    with cli.session() as session:
        result = auth_service.sign_in(
            session, email=email, password=password, max_failures=100, window_seconds=60, session_hours=1
        )
        return result.user is not None


def token_works(cli: Cli, secret: str) -> bool:
    with cli.session() as session:
        try:
            auth_service.authenticate_token(session, secret)
        except auth_service.NotAuthenticated:
            return False
        return True


def user_count(cli: Cli) -> int:
    with cli.session() as session:
        return session.execute(sql_select(func.count()).select_from(User)).scalar_one()


def created_secret(result: subprocess.CompletedProcess[str]) -> str:
    """A secret the command printed: alone on stdout, with what it is on stderr."""
    assert result.returncode == 0, result.stderr
    assert "shown only now" in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return lines[0]


# --- on a terminal: the password is asked for twice, hidden ---


def _wait_for_hidden_prompt(master: int, screen: bytearray, start: int, prompt: bytes, timeout: float = 30) -> int:
    """Reads the terminal until `prompt` appears after `start` and echo is off (getpass is reading)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = screen.find(prompt, start)
        if found >= 0 and not termios.tcgetattr(master)[3] & termios.ECHO:
            return found + len(prompt)
        if select.select([master], [], [], 0.05)[0]:
            try:
                screen += os.read(master, 4096)
            except OSError:  # the command exited
                break
    raise AssertionError(f"no hidden prompt {prompt!r}; the terminal showed {bytes(screen)!r}")


def on_terminal(cli: Cli, *args: str, replies: list[tuple[str, str]]) -> tuple[int, str, str]:
    """Runs riskreg with stdin and stderr on a pseudo-terminal, answering each (prompt, reply) in turn.

    A new session has no controlling terminal, so getpass reads the pseudo-terminal, never the one
    pytest runs in. Returns the exit code, stdout and what the terminal showed.
    """
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*COMMAND, *args], env=cli.env, cwd=ROOT, stdin=slave, stderr=slave, stdout=subprocess.PIPE,
        start_new_session=True,
    )
    os.close(slave)
    screen = bytearray()
    try:
        position = 0
        for prompt, reply in replies:
            position = _wait_for_hidden_prompt(master, screen, position, prompt.encode())
            os.write(master, reply.encode() + b"\n")
        stdout, _ = proc.communicate(timeout=60)
        while select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return proc.returncode, stdout.decode(), screen.decode(errors="replace")


PASSWORD_PROMPT = "Password (at least 12 characters): "
REPEAT_PROMPT = "Repeat the password: "


def test_users_create_on_a_terminal_asks_twice_and_the_password_signs_in(cli: Cli) -> None:
    code, stdout, screen = on_terminal(
        cli, "users", "create", "--email", "Carol@Example.com", "--role", "legal", "--name", "Carol",
        replies=[(PASSWORD_PROMPT, STRONG), (REPEAT_PROMPT, STRONG)],
    )

    assert code == 0, screen
    assert "created user carol@example.com" in stdout and "role legal" in stdout
    assert STRONG not in stdout + screen  # neither echoed nor printed
    assert signs_in(cli, "carol@example.com", STRONG)


def test_users_create_on_a_terminal_refuses_a_weak_password_before_the_repeat(cli: Cli) -> None:
    code, stdout, screen = on_terminal(
        cli, "users", "create", "--email", "dave@example.com", "--role", "legal", replies=[(PASSWORD_PROMPT, "short")]
    )

    assert code == 1, screen
    assert "error: password: use at least 12 characters" in screen
    assert "Traceback" not in screen and REPEAT_PROMPT not in screen
    assert user_count(cli) == 0


def test_users_create_on_a_terminal_refuses_two_different_passwords(cli: Cli) -> None:
    code, _, screen = on_terminal(
        cli, "users", "create", "--email", "dave@example.com", "--role", "legal",
        replies=[(PASSWORD_PROMPT, STRONG), (REPEAT_PROMPT, STRONG + "!")],
    )

    assert code == 1, screen
    assert "the two passwords differ" in screen and "Traceback" not in screen
    assert user_count(cli) == 0


def test_users_create_on_a_terminal_refuses_a_taken_address_before_asking(cli: Cli) -> None:
    add_user(cli, "dave@example.com")

    code, _, screen = on_terminal(cli, "users", "create", "--email", "DAVE@example.com", "--role", "admin", replies=[])

    assert code == 1
    assert "already exists" in screen and PASSWORD_PROMPT not in screen


# --- generated passwords ---


def test_users_create_with_generate_password_prints_one_that_signs_in(cli: Cli) -> None:
    result = cli("users", "create", "--email", "Alice@Example.com", "--role", "security", "--generate-password")

    password = created_secret(result)
    assert len(password) == 24  # secrets.token_urlsafe(18)
    assert "created user alice@example.com" in result.stderr and "role security" in result.stderr
    assert signs_in(cli, "alice@example.com", password)
    assert not signs_in(cli, "alice@example.com", password + "x")


def test_users_create_without_a_terminal_generates_the_password(cli: Cli) -> None:
    password = created_secret(cli("users", "create", "--email", "bob@example.com", "--role", "engineer"))

    assert signs_in(cli, "bob@example.com", password)
    with cli.session() as session:
        user = auth_service.get_user_by_email(session, "bob@example.com")
        event = session.execute(sql_select(AuditEvent).where(AuditEvent.action == "user.created")).scalar_one()
    assert (user.name, user.role) == ("bob", "engineer")
    # Recorded as the CLI and the login that ran it.
    assert (event.actor_type, event.subject_id) == ("system", str(user.id))
    assert event.actor.startswith("cli:") and len(event.actor) > len("cli:")


def test_users_create_refuses_a_duplicate_email_with_exit_1(cli: Cli) -> None:
    add_user(cli, "bob@example.com")

    result = cli("users", "create", "--email", " BOB@example.com ", "--role", "admin", "--generate-password")

    assert_clean_failure(result, "error:", "bob@example.com already exists")
    assert result.stdout == ""
    assert user_count(cli) == 1


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--email", "not-an-address", "--role", "admin"], "not an e-mail address"),
        (["--email", "x@example.com", "--role", "superuser"], "superuser"),
    ],
)
def test_users_create_refuses_bad_input_without_a_traceback(cli: Cli, args: list[str], phrase: str) -> None:
    result = cli("users", "create", *args)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr and phrase in result.stderr
    assert user_count(cli) == 0


def test_users_list_shows_email_role_and_status(cli: Cli) -> None:
    assert "no users yet" in cli("users", "list").stderr
    add_user(cli, "bob@example.com")
    assert cli("users", "create", "--email", "alice@example.com", "--role", "auditor", "--name", "Alice A.").returncode == 0
    assert cli("users", "disable", "--email", "bob@example.com").returncode == 0

    result = cli("users", "list")

    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines == [
        ["email", "role", "status", "name"],
        ["alice@example.com", "auditor", "active", "Alice", "A."],
        ["bob@example.com", "engineer", "disabled", "bob"],
    ]


# --- tokens ---


def test_tokens_create_prints_a_secret_that_authenticates_and_revoke_stops_it(cli: Cli) -> None:
    add_user(cli, "alice@example.com", Role.security)

    created = cli("tokens", "create", "--email", "alice@example.com", "--name", "ci")
    secret = created_secret(created)
    assert secret.startswith("rr_") and "never expires" in created.stderr
    assert token_works(cli, secret)

    revoked = cli("tokens", "revoke", "--email", "alice@example.com", "--name", "ci")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked API token 'ci'" in revoked.stdout
    assert not token_works(cli, secret)

    again = cli("tokens", "revoke", "--email", "alice@example.com", "--name", "ci")
    assert again.returncode == 0 and "already revoked" in again.stdout


def test_tokens_create_with_an_expiry_prints_it_and_revoke_by_id(cli: Cli) -> None:
    add_user(cli, "alice@example.com", Role.security)

    created = cli("tokens", "create", "--email", "alice@example.com", "--name", "laptop", "--expires-in", "7")
    secret = created_secret(created)
    assert "expires 20" in created.stderr
    with cli.session() as session:
        token = session.execute(sql_select(ApiToken)).scalar_one()
        assert token.expires_at is not None
        assert 6.9 < (token.expires_at - token.created_at).total_seconds() / 86400 < 7.1
    listed = cli("tokens", "list", "--email", "alice@example.com")
    assert "laptop" in listed.stdout and secret not in listed.stdout and "active" in listed.stdout

    assert cli("tokens", "revoke", "--id", str(token.id)).returncode == 0
    assert not token_works(cli, secret)
    assert "revoked" in cli("tokens", "list", "--email", "alice@example.com").stdout


def test_tokens_revoke_of_something_missing_exits_1(cli: Cli) -> None:
    add_user(cli, "alice@example.com", Role.security)

    for args, phrase in [
        (["--email", "nobody@example.com", "--name", "ci"], "No user with e-mail nobody@example.com"),
        (["--email", "alice@example.com", "--name", "nope"], "has no API token named 'nope'"),
        (["--id", "999"], "No API token with id 999"),
    ]:
        assert_clean_failure(cli("tokens", "revoke", *args), "error:", phrase)


def test_tokens_for_an_unknown_user_exit_1(cli: Cli) -> None:
    assert_clean_failure(
        cli("tokens", "create", "--email", "nobody@example.com", "--name", "ci"), "No user with e-mail"
    )


def test_users_disable_makes_the_users_tokens_fail(cli: Cli) -> None:
    add_user(cli, "bob@example.com")
    secret = created_secret(cli("tokens", "create", "--email", "bob@example.com", "--name", "ci"))
    assert token_works(cli, secret)

    result = cli("users", "disable", "--email", "bob@example.com")

    assert result.returncode == 0, result.stderr
    assert "disabled user bob@example.com" in result.stdout
    assert not token_works(cli, secret)
    assert_clean_failure(cli("users", "disable", "--email", "bob@example.com"), "already disabled")
    assert_clean_failure(cli("tokens", "create", "--email", "bob@example.com", "--name", "new"), "is disabled")


# --- the jobs, in the test's transaction ---


def test_cli_role_choices_are_the_roles() -> None:
    assert [r.value for r in RoleName] == [r.value for r in Role]


def test_create_user_generates_a_strong_password_and_defaults_the_name(db: Session) -> None:
    created = auth_jobs.create_user(
        db, actor=TEST_ACTOR, email=" New.Person@Example.COM", role=Role.auditor, name=None, password=None
    )

    assert created.generated_password is not None and len(created.generated_password) >= 12
    assert (created.user.email, created.user.name) == ("new.person@example.com", "new.person")
    assert verify_password(created.user.password_hash, created.generated_password)
    assert created.generated_password != auth_jobs.generate_password()


def test_create_user_with_a_chosen_password_returns_no_generated_one(db: Session) -> None:
    created = auth_jobs.create_user(db, actor=TEST_ACTOR, email="a@example.com", role=Role.admin, name="A",
                                    password=STRONG)

    assert created.generated_password is None
    assert verify_password(created.user.password_hash, STRONG)


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_create_user_refuses_a_weak_password(db: Session, password: str) -> None:
    with pytest.raises(auth_service.WeakPassword, match="at least 12"):
        auth_jobs.create_user(db, actor=TEST_ACTOR, email="a@example.com", role=Role.admin, name=None,
                              password=password)


@pytest.mark.parametrize("email", ["", "plain", "a@b", "two@@example.com", "sp ace@example.com"])
def test_malformed_addresses_are_refused(db: Session, email: str) -> None:
    with pytest.raises(InvalidInput, match="e-mail address"):
        auth_jobs.check_new_user(db, email)


def test_check_new_user_refuses_a_taken_address_in_any_case(db: Session) -> None:
    make_user(db, email="taken@example.com")

    with pytest.raises(auth_service.DuplicateUser):
        auth_jobs.check_new_user(db, "TAKEN@example.com")
    auth_jobs.check_new_user(db, "free@example.com")


def test_iter_users_reads_every_page_in_email_order(db: Session) -> None:
    emails = [f"u{i}@example.com" for i in (5, 3, 1, 4, 2)]
    for email in emails:
        make_user(db, email=email)

    assert [u.email for u in auth_jobs.iter_users(db, page_size=2)] == sorted(emails)


def test_create_token_refuses_a_blank_name_and_a_non_positive_expiry(db: Session) -> None:
    user = make_user(db)

    with pytest.raises(InvalidInput, match="name"):
        auth_jobs.create_token(db, actor=TEST_ACTOR, email=user.email, name="  ", expires_in_days=None)
    with pytest.raises(InvalidInput, match="expires-in"):
        auth_jobs.create_token(db, actor=TEST_ACTOR, email=user.email, name="ci", expires_in_days=0)


def test_revoke_by_name_revokes_every_active_token_of_that_name_only(db: Session) -> None:
    user = make_user(db)
    first, second, other = (make_token(db, user, name=n) for n in ("ci", "ci", "laptop"))

    result = auth_jobs.revoke_tokens(db, actor=TEST_ACTOR, email=user.email, name="ci", token_id=None)

    assert len(result.revoked) == 2 and result.already_revoked == []
    for secret in (first, second):
        with pytest.raises(auth_service.NotAuthenticated):
            auth_service.authenticate_token(db, secret)
    assert auth_service.authenticate_token(db, other).id == user.id
    again = auth_jobs.revoke_tokens(db, actor=TEST_ACTOR, email=user.email, name="ci", token_id=None)
    assert again.revoked == [] and len(again.already_revoked) == 2


def test_revoke_by_id_checks_the_owner_when_an_email_is_given(db: Session) -> None:
    owner, stranger = make_user(db), make_user(db)
    secret = make_token(db, owner, name="ci")
    token_id = auth_jobs.list_tokens(db, email=owner.email)[0].id

    with pytest.raises(auth_service.TokenNotFound, match=f"belonging to {stranger.email}"):
        auth_jobs.revoke_tokens(db, actor=TEST_ACTOR, email=stranger.email, name=None, token_id=token_id)
    assert auth_service.authenticate_token(db, secret).id == owner.id

    auth_jobs.revoke_tokens(db, actor=TEST_ACTOR, email=owner.email, name=None, token_id=token_id)
    with pytest.raises(auth_service.NotAuthenticated):
        auth_service.authenticate_token(db, secret)


def test_revoke_needs_an_id_or_an_email_and_a_name(db: Session) -> None:
    with pytest.raises(InvalidInput):
        auth_jobs.revoke_tokens(db, actor=TEST_ACTOR, email="a@example.com", name=None, token_id=None)


def test_disable_user_writes_an_audit_event_with_the_actor(db: Session) -> None:
    user = make_user(db)
    actor = Actor.system("cli:ops")

    auth_jobs.disable_user(db, actor=actor, email=user.email.upper())

    event = db.execute(sql_select(AuditEvent).where(AuditEvent.action == "user.disabled")).scalar_one()
    assert (event.actor, event.subject_id) == ("cli:ops", str(user.id))
