"""A SoftHSM2 token for tests: its own configuration and token folder, one token per session.

SoftHSM reads ``SOFTHSM2_CONF`` once, when a process first loads the module, so the token is
made (by ``softhsm2-util``) before anything in the process opens it. Keys are generated in
it by the code under test, never imported.
"""

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from hdh_common.hsm import Hsm, HsmConfig, open_hsm

MODULE_PLACES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
TOKEN_LABEL = "hdh-tests"


class SoftHsmMissing(RuntimeError):
    """SoftHSM2 (the Debian package ``softhsm2``) is not installed."""


@dataclass(frozen=True)
class SoftHsm:
    module: Path
    token_label: str
    pin: SecretStr
    pin_file: Path

    def config(self) -> HsmConfig:
        return HsmConfig(module=self.module, pin=self.pin, token_label=self.token_label)

    def settings(self) -> dict[str, Any]:
        """The ``HDH_HSM_*`` settings of a service using this token (the PIN from its file)."""
        return {
            "hsm_module": self.module,
            "hsm_token_label": self.token_label,
            "hsm_pin_file": self.pin_file,
        }

    def open(self) -> Hsm:
        return open_hsm(self.config())


def module_path() -> Path:
    for place in MODULE_PLACES:
        if Path(place).exists():
            return Path(place)
    raise SoftHsmMissing("libsofthsm2.so not found: install the softhsm2 package")


def start_softhsm(folder: Path) -> SoftHsm:
    """A fresh token under ``folder``; sets ``SOFTHSM2_CONF`` for this process."""
    module, tool = module_path(), shutil.which("softhsm2-util")
    if tool is None:
        raise SoftHsmMissing("softhsm2-util not found: install the softhsm2 package")
    tokens = folder / "tokens"
    tokens.mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pin = secrets.token_hex(8)
    pin_file = folder / "pin"
    pin_file.write_text(pin + "\n")
    so_pin = secrets.token_hex(8)
    subprocess.run(  # noqa: S603
        [tool, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", pin, "--so-pin", so_pin],
        check=True,
        capture_output=True,
        env={**os.environ, "SOFTHSM2_CONF": str(conf)},
    )
    return SoftHsm(module=module, token_label=TOKEN_LABEL, pin=SecretStr(pin), pin_file=pin_file)
