"""Settings read once from the environment (or a test's overrides) into an immutable value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from creditbank.errors import InvalidInput, NoteError
from creditbank.operations.mail import MailSettings, mail_from_env
from creditbank.operations.settings import OperationsSettings, operations_from_env
from creditbank.privacy.settings import RetentionSettings, retention_from_env
from creditbank.witness.cosignature import parse_cosigner_key

DEFAULT_ORIGIN = "creditbank.local/log"
DEFAULT_PUBLIC_URL = "https://creditbank.cq.edu.cn"
# The policies shipped with the source tree (``policies/`` next to the package).
DEFAULT_POLICIES = Path(__file__).resolve().parents[1] / "policies"


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about where it runs."""

    instance_path: Path
    database_url: str
    log_origin: str = DEFAULT_ORIGIN
    key_passphrase: bytes | None = None
    # How old the latest checkpoint may grow before a read of it publishes a fresh one.
    checkpoint_interval_seconds: float = 5.0
    entries_page_size: int = 1000
    policies_path: Path = DEFAULT_POLICIES
    # How often a serving process looks for policy versions published by another process.
    policy_refresh_seconds: float = 1.0
    # Where the service is reached publicly (status lists, verification pages, did:web).
    public_url: str = DEFAULT_PUBLIC_URL
    # The transcript issuer: empty for the did:web of ``public_url``, or "did:key".
    issuer_did: str = ""
    operations: OperationsSettings = field(default_factory=OperationsSettings)
    # The witnesses whose cosignatures the bank accepts: cosigner vkeys (C2SP type 0x04).
    witness_keys: tuple[str, ...] = ()
    backup_path: Path | None = None  # where scheduled backups go (default: instance/backups)
    backups_kept: int = 7
    # The SMTP server notices are e-mailed through (none: e-mails wait in the outbox).
    mail: MailSettings = field(default_factory=MailSettings)
    # Retention periods per kind, and the grace period before a closed account is erased.
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    # Streaming replicas of the PostgreSQL primary that answer reads which tolerate lag.
    replica_urls: tuple[str, ...] = ()
    # A replica lagging more than this is left out until it catches up (seconds).
    replica_max_lag_seconds: float = 5.0
    # How often the replicas' positions are read against the primary's (seconds).
    replica_check_seconds: float = 1.0

    @property
    def keys_path(self) -> Path:
        """Folder of the log's signing keyring (outside the database)."""
        return self.instance_path / "keys" / "log"

    @property
    def kek_path(self) -> Path:
        """Folder of the key-encryption keys that seal personal data (outside the database)."""
        return self.instance_path / "keys" / "kek"

    @property
    def transcript_keys_path(self) -> Path:
        """Folder of the transcript-signing keyring (outside the database)."""
        return self.instance_path / "keys" / "transcripts"

    @property
    def pdf_path(self) -> Path:
        """Where rendered transcript PDFs are kept, sealed."""
        return self.instance_path / "transcripts-pdf"

    @property
    def backups_path(self) -> Path:
        """Folder of the scheduled daily backups."""
        return self.backup_path or self.instance_path / "backups"

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """Return a copy with some fields replaced (used by tests and the CLI)."""
        return replace(self, **dict(overrides))


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"environment variable {name} must be a number, got {raw!r}") from None


def _witness_keys(environ: Mapping[str, str]) -> tuple[str, ...]:
    keys = tuple(environ.get("CREDITBANK_WITNESSES", "").replace(",", " ").split())
    for key in keys:
        try:
            parse_cosigner_key(key)
        except NoteError as exc:
            raise InvalidInput(f"CREDITBANK_WITNESSES: {key!r}: {exc.detail}") from None
    return keys


def _replica_urls(environ: Mapping[str, str]) -> tuple[str, ...]:
    urls = tuple(environ.get("CREDITBANK_REPLICA_URLS", "").replace(",", " ").split())
    for url in urls:
        if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
            raise InvalidInput(f"CREDITBANK_REPLICA_URLS: {url.split('@')[-1]!r} is not PostgreSQL")
    return urls


def sqlite_url(path: Path) -> str:
    """Return the SQLAlchemy URL of an SQLite file."""
    return f"sqlite:///{path}"


def settings_from_env(
    environ: Mapping[str, str] | None = None, *, default_instance: Path | None = None
) -> Settings:
    """Read ``CREDITBANK_*`` variables; the default database is an SQLite file in the instance."""
    env = os.environ if environ is None else environ
    instance = Path(env.get("CREDITBANK_INSTANCE") or default_instance or Path.cwd() / "instance")
    instance = instance.resolve()
    url = env.get("CREDITBANK_DATABASE_URL") or sqlite_url(instance / "creditbank.sqlite3")
    passphrase = env.get("CREDITBANK_KEY_PASSPHRASE")
    return Settings(
        instance_path=instance,
        database_url=url,
        log_origin=env.get("CREDITBANK_LOG_ORIGIN") or DEFAULT_ORIGIN,
        key_passphrase=passphrase.encode("utf-8") if passphrase else None,
        checkpoint_interval_seconds=_float(env, "CREDITBANK_CHECKPOINT_INTERVAL", 5.0),
        policies_path=Path(env.get("CREDITBANK_POLICIES") or DEFAULT_POLICIES),
        policy_refresh_seconds=_float(env, "CREDITBANK_POLICY_REFRESH", 1.0),
        public_url=env.get("CREDITBANK_PUBLIC_URL") or DEFAULT_PUBLIC_URL,
        issuer_did=env.get("CREDITBANK_ISSUER_DID") or "",
        operations=operations_from_env(env),
        witness_keys=_witness_keys(env),
        backup_path=Path(env["CREDITBANK_BACKUP_DIR"])
        if env.get("CREDITBANK_BACKUP_DIR")
        else None,
        backups_kept=int(_float(env, "CREDITBANK_BACKUPS_KEPT", 7)),
        mail=mail_from_env(env),
        retention=retention_from_env(env),
        replica_urls=_replica_urls(env),
        replica_max_lag_seconds=_float(env, "CREDITBANK_REPLICA_MAX_LAG", 5.0),
        replica_check_seconds=_float(env, "CREDITBANK_REPLICA_CHECK_EVERY", 1.0),
    )
