"""Acceptance 5 of issue 19, the restore drill, on the platform as `make up` starts it
(embedded PostgreSQL, filesystem object store) with one `hdh-witness` cosigning the log.

Traffic goes through the gateway; a checkpoint is witnessed; `make backup` runs while a
producer keeps registering and uploading; the platform stops and its database cluster and
object store are wiped; `make restore` puts them back and finds every object the database
names with its hash; the platform restarts on the restored state, and its audit log extends
the witnessed checkpoint (consistency proof) and its export verifies against its signed tree
head. The backup and restore times are printed for the demo data.
"""

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit.config import Settings as AuditSettings
from audit.treeheads.signing import load_signer
from audit.verifier.cli import main as verify
from hdh_dev.demo import Journey, JourneyFailed
from hdh_dev.launching import Launcher, LaunchFactory
from hdh_dev.processes import free_port
from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import ED25519, VerifierKey, parse_note

BIN = Path(sys.executable).parent
WITNESS = "witness.drill.example/w"


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A started witness, given the log's vkey by ``trusting``: (its vkey, its URL, log vkey)."""
    gateway_port = free_port()
    settings = AuditSettings(
        environment="dev",
        audit_signing_key_file=tmp_path / "hdh" / "keys" / "audit-signing.pem",
        public_url=f"http://localhost:{gateway_port}",
    )
    signer = load_signer(settings)  # dev: the log's key, made now so the witness knows it
    log_vkey = str(VerifierKey(settings.log_origin, ED25519, signer.public_key))
    command, key = str(BIN / "hdh-witness"), tmp_path / "witness.pem"
    made = subprocess.run(
        [command, "keygen", "--name", WITNESS, "--key", str(key)],
        capture_output=True,
        text=True,
        check=True,
    )
    port = free_port()
    arguments = ["serve", "--name", WITNESS, "--key", str(key), "--log", log_vkey]
    arguments += ["--state", str(tmp_path / "witness.sqlite"), "--port", str(port)]
    with (tmp_path / "witness.log").open("w") as log:
        process = subprocess.Popen([command, *arguments], stderr=log)
    try:
        yield made.stdout.strip(), f"http://127.0.0.1:{port}", str(gateway_port)
    finally:
        process.terminate()
        process.wait(timeout=10)


def backup_command(launcher: Launcher, *args: str) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "hdh_dev.backup", *args],
        env=launcher.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return time.monotonic() - started, done.stdout


def witnessed_checkpoint(journey: Journey) -> str:
    def cosigned() -> str | None:
        note = journey.call("odile", "GET", "/audit/checkpoint").text
        parsed = parse_note(note)
        return note if Checkpoint.parse(parsed.text).size and len(parsed.signatures) == 2 else None

    found: str = journey.wait("a witnessed checkpoint", cosigned)
    return found


class Traffic(threading.Thread):
    """A producer registering datasets and uploading their files until told to stop."""

    def __init__(self, gateway: str) -> None:
        super().__init__(daemon=True)
        self.journey = Journey(gateway, say=lambda _: None, timeout=30)
        self.stopping = threading.Event()
        self.rounds = 0
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.journey.login("paul")
            while not self.stopping.is_set():
                self.journey.register()
                self.journey.upload()
                self.rounds += 1
        except (JourneyFailed, OSError) as error:
            self.error = error

    def stop(self) -> int:
        self.stopping.set()
        self.join(60)
        assert self.error is None, self.error
        return self.rounds


def run_verifier(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = verify(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_backup_under_traffic_wipe_restore_and_everything_verifies(
    launch: LaunchFactory,
    witness: tuple[str, str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    witness_vkey, witness_url, gateway_port = witness
    env = {
        "HDH_GATEWAY_PORT": gateway_port,
        "HDH_EMBEDDED_POSTGRES_PORT": str(free_port()),
        "HDH_EMBEDDED_KAFKA_PORT": str(free_port()),
        "HDH_AUDIT_WITNESSES": json.dumps({witness_vkey: witness_url}),
        "HDH_AUDIT_TREE_HEAD_INTERVAL": "0.5",
    }
    launcher = launch(**env)
    launcher.wait_ready()
    journey = Journey(launcher.gateway, say=lambda _: None, timeout=60)
    journey.log_in_everyone()
    journey.register()
    journey.upload()
    journey.pseudonymised()
    witnessed = witnessed_checkpoint(journey)
    (tmp_path / "witnessed.txt").write_text(witnessed)

    traffic = Traffic(launcher.gateway)
    traffic.start()
    time.sleep(1)
    backup_seconds, _ = backup_command(launcher, "backup")
    rounds = traffic.stop()
    assert launcher.interrupt() == 0, launcher.output.read_text()

    data = tmp_path / "hdh"
    [folder] = (data / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["schemas"] == ["catalog", "access", "linkage", "audit", "workspace"]
    shutil.rmtree(data / "postgres")  # the whole cluster, as a lost disk would
    shutil.rmtree(data / "objects")

    restore_seconds, _ = backup_command(launcher, "restore")
    _, checked = backup_command(launcher, "check")
    named = int(checked.split("] ")[-1].split()[0])
    assert named >= 4 and "0 missing, 0 altered" in checked, checked
    size = sum(f["size"] for f in manifest["files"].values())
    with capsys.disabled():  # the figures the note quotes
        print(
            f"\nrestore drill: {len(manifest['files'])} files, {size / 1e6:.1f} MB, "
            f"{named} objects named; backup {backup_seconds:.1f} s under traffic "
            f"({rounds} producer rounds; dumps {manifest['seconds']['database']:.1f} s, "
            f"objects {manifest['seconds']['objects']:.1f} s), restore {restore_seconds:.1f} s "
            "(cluster wiped: initdb included)"
        )

    restarted = launch(**env)
    restarted.wait_ready()
    journey = Journey(restarted.gateway, say=lambda _: None, timeout=60)
    journey.login("odile")
    checkpoint = journey.call("odile", "GET", "/audit/checkpoint").text
    log_key = journey.call("odile", "GET", "/audit/checkpoint/keys").text.strip()
    first = Checkpoint.parse(parse_note(witnessed).text).size
    second = Checkpoint.parse(parse_note(checkpoint).text).size
    proof = journey.call(
        "odile", "GET", "/audit/proofs/consistency", params={"first": first, "second": second}
    )
    (tmp_path / "restored.txt").write_text(checkpoint)
    (tmp_path / "proof.json").write_text(proof.text)
    code, output = run_verifier(
        capsys,
        "checkpoint",
        str(tmp_path / "witnessed.txt"),
        "--log-key",
        log_key,
        "--witness",
        witness_vkey,
    )
    assert code == 0, output
    code, output = run_verifier(
        capsys,
        "checkpoint",
        str(tmp_path / "restored.txt"),
        "--log-key",
        log_key,
        "--quorum",
        "0",
        "--previous",
        str(tmp_path / "witnessed.txt"),
        "--proof",
        str(tmp_path / "proof.json"),
    )
    assert code == 0 and f"extends size {first}" in output, output

    head: dict[str, Any] = journey.call("odile", "GET", "/audit/tree-head").json()
    export = journey.call(
        "odile", "GET", "/audit/export", params={"format": "ndjson", "tree_size": head["tree_size"]}
    )
    (tmp_path / "head.json").write_text(json.dumps(head))
    (tmp_path / "keys.json").write_text(journey.call("odile", "GET", "/audit/keys").text)
    (tmp_path / "export.ndjson").write_bytes(export.content)
    code, output = run_verifier(
        capsys,
        "export",
        str(tmp_path / "export.ndjson"),
        "--tree-head",
        str(tmp_path / "head.json"),
        "--keys",
        str(tmp_path / "keys.json"),
    )
    assert code == 0, output
    assert restarted.interrupt() == 0, restarted.output.read_text()
