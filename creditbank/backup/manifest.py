"""The backup's manifest: what was exported, how many rows, each file's SHA-256, the log's state.

It is written last, so a folder with a manifest holds a complete export; restore checks every
file against it before touching the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from creditbank.errors import BackupError

FORMAT = "creditbank-backup/1"
MANIFEST = "manifest.json"
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableFile:
    """One table's file: its name in the folder, its row count and SHA-256."""

    file: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class LogState:
    """The log at export: the committed head and the latest signed checkpoint."""

    size: int
    root_hash: bytes
    checkpoint_size: int
    checkpoint_root_hash: bytes
    checkpoint_note: str


@dataclass(frozen=True)
class Manifest:
    """Everything a restore checks before and after loading."""

    created_at: str
    schema_revision: str
    origin: str
    log: LogState
    tables: Mapping[str, TableFile]

    def to_json(self) -> dict[str, Any]:
        """Return the manifest's JSON form."""
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "schema_revision": self.schema_revision,
            "origin": self.origin,
            "log": {
                "size": self.log.size,
                "root_hash": self.log.root_hash.hex(),
                "checkpoint": {
                    "size": self.log.checkpoint_size,
                    "root_hash": self.log.checkpoint_root_hash.hex(),
                    "note": self.log.checkpoint_note,
                },
            },
            "tables": {
                name: {"file": t.file, "rows": t.rows, "sha256": t.sha256}
                for name, t in sorted(self.tables.items())
            },
        }

    def write(self, directory: Path) -> Path:
        """Write ``manifest.json`` into ``directory``."""
        path = directory / MANIFEST
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        with path.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
        return path


def _parse(raw: Any) -> Manifest:
    if raw.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST}: format {raw.get('format')!r} is not {FORMAT!r}")
    log = raw["log"]
    checkpoint = log["checkpoint"]
    tables = {
        str(name): TableFile(str(t["file"]), int(t["rows"]), str(t["sha256"]))
        for name, t in raw["tables"].items()
    }
    for name, table in tables.items():
        # A file name that leaves the folder would let a manifest point anywhere.
        if Path(table.file).name != table.file:
            raise BackupError(f"{MANIFEST}: table {name}: file {table.file!r} is not a plain name")
    return Manifest(
        created_at=str(raw["created_at"]),
        schema_revision=str(raw["schema_revision"]),
        origin=str(raw["origin"]),
        log=LogState(
            size=int(log["size"]),
            root_hash=bytes.fromhex(log["root_hash"]),
            checkpoint_size=int(checkpoint["size"]),
            checkpoint_root_hash=bytes.fromhex(checkpoint["root_hash"]),
            checkpoint_note=str(checkpoint["note"]),
        ),
        tables=tables,
    )


def read_manifest(directory: Path) -> Manifest:
    """Read and check the shape of ``directory/manifest.json``."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} is not a backup: it has no {MANIFEST}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return _parse(raw)
    except BackupError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{path}: malformed manifest ({exc.__class__.__name__}: {exc})") from None


def file_digest(path: Path) -> tuple[str, int]:
    """Return a file's SHA-256 (hex) and its number of lines."""
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as source:
        while chunk := source.read(_READ_CHUNK):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


def check_files(directory: Path, manifest: Manifest) -> None:
    """Refuse the backup, naming the file, if any file is missing, extra or differs."""
    listed = {table.file for table in manifest.tables.values()}
    extra = sorted(p.name for p in directory.glob("*.jsonl") if p.name not in listed)
    if extra:
        raise BackupError(f"backup file {extra[0]} is not listed in the manifest")
    for name, table in sorted(manifest.tables.items()):
        path = directory / table.file
        if not path.is_file():
            raise BackupError(f"backup file {table.file} (table {name}) is missing")
        sha256, lines = file_digest(path)
        if sha256 != table.sha256:
            raise BackupError(
                f"backup file {table.file} (table {name}) has SHA-256 {sha256}, the manifest "
                f"says {table.sha256}: the file was altered or damaged"
            )
        if lines != table.rows:
            raise BackupError(
                f"backup file {table.file} (table {name}) has {lines} rows, the manifest says "
                f"{table.rows}"
            )
