"""Settings from the environment: defaults, Heroku's URL form, production refusing placeholders."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings, normalise_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@host:5432/db", "postgresql+psycopg://u:p@host:5432/db"),
        ("postgresql://u@host/db", "postgresql+psycopg://u@host/db"),
        ("postgresql+psycopg://u@host/db", "postgresql+psycopg://u@host/db"),
        ("sqlite:///var/x.sqlite3", "sqlite:///var/x.sqlite3"),
    ],
)
def test_database_url_is_rewritten_for_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_default_database_is_sqlite_under_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("RISKREG_DATA_DIR", str(tmp_path))
    assert Settings().database_url == f"sqlite:///{tmp_path}/riskreg.sqlite3"


def test_heroku_database_url_and_port_are_read(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@ec2.example.com:5432/d1")
    monkeypatch.setenv("PORT", "31337")
    settings = Settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.port == 31337


def test_production_refuses_the_placeholder_secret(monkeypatch):
    monkeypatch.setenv("RISKREG_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/d")
    monkeypatch.delenv("RISKREG_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="RISKREG_SECRET_KEY"):
        Settings()
    monkeypatch.setenv("RISKREG_SECRET_KEY", "short")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings()
    monkeypatch.setenv("RISKREG_SECRET_KEY", "k" * 40)
    assert Settings().is_production


def test_production_needs_a_database_url(monkeypatch):
    monkeypatch.setenv("RISKREG_ENV", "production")
    monkeypatch.setenv("RISKREG_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        Settings()


def test_the_secret_never_shows_in_repr(monkeypatch):
    monkeypatch.setenv("RISKREG_SECRET_KEY", "super-secret-value-" * 3)
    settings = Settings()
    assert "super-secret-value" not in repr(settings)
    assert "super-secret-value" not in str(settings.model_dump())


def test_unknown_env_is_refused(monkeypatch):
    monkeypatch.setenv("RISKREG_ENV", "staging")
    with pytest.raises(ValidationError, match="development"):
        Settings()


def test_on_a_heroku_dyno_the_placeholder_secret_is_refused_even_in_development(monkeypatch):
    monkeypatch.setenv("DYNO", "web.1")
    monkeypatch.delenv("RISKREG_SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/d")
    with pytest.raises(ValidationError, match="RISKREG_SECRET_KEY"):
        Settings()
