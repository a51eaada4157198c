"""Settings: one object read from the environment, validated at start-up."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_SECRET = "dev-only-insecure-secret-key-change-me"


def normalise_database_url(url: str) -> str:
    """Rewrite Heroku's `postgres://` (and bare `postgresql://`) URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RISKREG_", extra="ignore", frozen=True, hide_input_in_errors=True)

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
    # Review cadence by residual risk (DOMAIN.md): a signed assessment is valid this many months.
    review_months_critical: int = Field(default=6, ge=1, le=60)
    review_months_high: int = Field(default=12, ge=1, le=60)
    review_months_medium: int = Field(default=24, ge=1, le=60)
    review_months_low: int = Field(default=36, ge=1, le=60)
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
    # Signing assessment records (PAdES): a PKCS#12 key and certificate, default <data_dir>/signing/signer.p12.
    signing_p12: Path | None = None
    signing_passphrase: SecretStr | None = None
    # PEM file of the CA certificates a signed record must chain to; default <data_dir>/signing/ca.pem.
    signing_trust_roots: Path | None = None
    signing_timestamp_url: str | None = None  # an RFC 3161 timestamp authority: PAdES B-T instead of B-B
    signing_reason: str = "riskreg assessment record"
    signing_location: str | None = None
    # Reminders (`riskreg reminders run`): days before a due date to announce it, then every N days while overdue.
    reminder_lead_days: Annotated[tuple[int, ...], NoDecode] = (60, 30, 7, 0)
    reminder_overdue_every_days: int = Field(default=7, ge=1, le=365)
    reminder_request_wait_days: int = Field(default=7, ge=1, le=365)  # an undecided add-on request older than this
    reminder_lease_minutes: int = Field(default=10, ge=1, le=24 * 60)  # a claimed, unsent reminder is retried after
    # Where reminders go: e-mail (smtp://user:password@host:587, smtps:// for implicit TLS), a Slack-compatible webhook.
    smtp_url: SecretStr | None = None
    smtp_from: str | None = None
    smtp_starttls: bool = True
    webhook_url: SecretStr | None = None
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_attempts: int = Field(default=4, ge=1, le=10)
    # The address users reach riskreg at (https://riskreg.example.com): links in e-mails and the calendar feed.
    public_url: str | None = None
    # Set by Heroku on every dyno: its presence means "not a developer's machine".
    dyno: str | None = Field(default=None, validation_alias="DYNO")

    @field_validator("reminder_lead_days", mode="before")
    @classmethod
    def _lead_days(cls, value: object) -> object:
        """`60,30,7,0` (or a JSON list): distinct days, none negative, announced from the earliest."""
        if isinstance(value, str):
            value = [part for part in value.replace("[", "").replace("]", "").split(",") if part.strip()]
        if isinstance(value, list | tuple):
            try:
                days = sorted({int(str(v).strip()) for v in value}, reverse=True)
            except ValueError:
                raise ValueError("use whole numbers of days separated by commas, e.g. 60,30,7,0") from None
            if not days or days[-1] < 0 or days[0] > 3650:
                raise ValueError("give at least one lead time, each between 0 and 3650 days")
            return tuple(days)
        return value

    @model_validator(mode="after")
    def _check_reminder_channels(self) -> "Settings":
        # Messages name the variable, never its value: the URLs carry passwords and webhook secrets.
        if self.smtp_url is not None:
            parts = urlsplit(self.smtp_url.get_secret_value())
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError("RISKREG_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
            try:
                parts.port  # noqa: B018  (raises on a port that is not a number)
            except ValueError:
                raise ValueError("RISKREG_SMTP_URL has a port that is not a number") from None
            if not self.smtp_from:
                raise ValueError("RISKREG_SMTP_FROM must be set when RISKREG_SMTP_URL is (the reminders' sender address)")
        if self.webhook_url is not None:
            parts = urlsplit(self.webhook_url.get_secret_value())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("RISKREG_WEBHOOK_URL must be an http(s) URL")
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("RISKREG_PUBLIC_URL must be an http(s) URL such as https://riskreg.example.com")
        return self

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
    def signing_p12_path(self) -> Path | None:
        """RISKREG_SIGNING_P12, else the key `riskreg signing init` writes, if it exists."""
        default = self.data_dir / "signing" / "signer.p12"
        return self.signing_p12 or (default if default.exists() else None)

    @property
    def signing_trust_roots_path(self) -> Path | None:
        """RISKREG_SIGNING_TRUST_ROOTS, else the CA certificate `riskreg signing init` writes, if it exists."""
        default = self.data_dir / "signing" / "ca.pem"
        return self.signing_trust_roots or (default if default.exists() else None)

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
