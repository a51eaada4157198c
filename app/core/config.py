"""Settings: one object read from the environment, validated at start-up."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_SECRET = "dev-only-insecure-secret-key-change-me"


def normalise_database_url(url: str) -> str:
    """Rewrite Heroku's `postgres://` (and bare `postgresql://`) URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RISKREG_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url_raw: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "RISKREG_DATABASE_URL")
    )
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "RISKREG_PORT"))
    # Heroku Postgres Essential allows 20 connections: pool + overflow, times dynos, must stay below.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=2, ge=0)
    # Largest request body accepted on JSON routes; upload routes set their own limit.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    log_level: str = "INFO"
    # Sign-in: this many failures for one account within the window, then 429 until it passes.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    questionnaire_dir: Path = ROOT / "questionnaires"
    # Uploaded agreements and evidence: where their bytes live, and how large one may be.
    storage_backend: Literal["database", "filesystem", "s3"] = "database"
    storage_dir: Path | None = None  # filesystem backend; default <data_dir>/files
    s3_bucket: str | None = None
    s3_prefix: str = "documents/"
    s3_endpoint_url: str | None = None  # for S3-compatible services; AWS when unset
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # A document whose expiry (or auto-renewal notice deadline) is this close counts as `expiring`.
    document_expiring_days: int = Field(default=60, ge=1, le=730)
    # Heroku Platform API: a token (`heroku authorizations:create`) lets `sync` read the estate; never logged.
    heroku_api_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("HEROKU_API_TOKEN", "RISKREG_HEROKU_API_TOKEN")
    )
    heroku_api_url: str = "https://api.heroku.com"
    # Set by Heroku on every dyno: its presence means "not a developer's machine".
    dyno: str | None = Field(default=None, validation_alias="DYNO")

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> "Settings":
        # A Heroku dyno is never local development, whatever RISKREG_ENV says.
        if self.env == "production" or self.dyno:
            secret = self.secret_key.get_secret_value()
            if secret == PLACEHOLDER_SECRET or len(secret) < 32:
                raise ValueError(
                    "RISKREG_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            if self.database_url_raw is None:
                raise ValueError("DATABASE_URL must be set in production (the dyno disk is ephemeral)")
        if self.dyno and self.storage_backend == "filesystem":
            raise ValueError(
                "RISKREG_STORAGE_BACKEND=filesystem loses files on Heroku (the dyno disk is ephemeral); "
                "use database or s3"
            )
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("RISKREG_S3_BUCKET must be set when RISKREG_STORAGE_BACKEND is s3")
        return self

    @property
    def database_url(self) -> str:
        if self.database_url_raw:
            return normalise_database_url(self.database_url_raw)
        return f"sqlite:///{(self.data_dir / 'riskreg.sqlite3').as_posix()}"

    @property
    def storage_path(self) -> Path:
        return self.storage_dir or self.data_dir / "files"

    @property
    def secure_cookies(self) -> bool:
        """`Secure` cookies everywhere but local development over plain http."""
        return self.env != "development"

    @property
    def is_production(self) -> bool:
        return self.env == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
