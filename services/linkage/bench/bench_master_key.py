"""Sealing and opening domain keys under a master key in SoftHSM2, next to the file key of
the same run (the baseline): what a rotation re-seals per second, and what a job pays to
open its key.

    .venv/bin/python services/linkage/bench/bench_master_key.py [--keys 2000]

SoftHSM2 runs in the process, so this is the PKCS#11 path's own cost; a network HSM adds
its round trip to every seal and open.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from hdh_dev.softhsm import SoftHsmMissing, start_softhsm
from linkage.keys.crypto import FileMasterKey, MasterKey, new_domain_key
from linkage.keys.hsm import HsmMasterKey


def rate(master: MasterKey, keys: list[bytes]) -> tuple[float, float]:
    """Seals per second, opens per second."""
    started = time.perf_counter()
    key_id = master.newest()  # as a rotation does: one look-up, then every key re-sealed
    sealed = [
        master.seal(k, domain="central", version=i, key_id=key_id) for i, k in enumerate(keys)
    ]
    sealing = time.perf_counter() - started
    started = time.perf_counter()
    for i, s in enumerate(sealed):
        master.open(s, domain="central", version=i)
    return len(keys) / sealing, len(keys) / (time.perf_counter() - started)


def line(name: str, figures: tuple[float, float], baseline: tuple[float, float]) -> str:
    ratios = [b / f for f, b in zip(figures, baseline, strict=True)]
    return (
        f"{name:<14} seal {figures[0]:>10.0f}/s (x{ratios[0]:.1f} slower)  "
        f"open {figures[1]:>10.0f}/s (x{ratios[1]:.1f} slower)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=2000)
    keys = [new_domain_key() for _ in range(parser.parse_args().keys)]
    baseline = rate(FileMasterKey(os.urandom(32)), keys)
    print(f"{'file key':<14} seal {baseline[0]:>10.0f}/s  open {baseline[1]:>10.0f}/s")
    with tempfile.TemporaryDirectory() as folder:
        try:
            token = start_softhsm(Path(folder))
        except SoftHsmMissing as exc:
            print(f"softhsm2       skipped: {exc}")
            return
        master = HsmMasterKey(token.open(), label="bench")
        master.add_version()
        print(line("softhsm2", rate(master, keys), baseline))
        master.close()


if __name__ == "__main__":
    main()
