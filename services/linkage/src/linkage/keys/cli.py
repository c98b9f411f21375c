"""``hdh-linkage-master``: the operator's command for the master key, run beside the service
with its settings (the HSM's module, token and PIN, the database). Each step is an event.

    hdh-linkage-master status          domain keys sealed under each master key
    hdh-linkage-master add             a new version in the HSM; it seals from now on
    hdh-linkage-master rotate          re-seal every domain key under the newest version
    hdh-linkage-master retire KEY_ID   re-seal what is left, then destroy KEY_ID

Nothing stops while it runs: the service goes on pseudonymising throughout.
"""

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Sequence

from hdh_common.db import create_engine, create_sessionmaker
from hdh_common.hsm import HsmError
from linkage.config import Settings
from linkage.db import SCHEMA
from linkage.keys import master as master_keys
from linkage.keys.crypto import MasterKeyError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hdh-linkage-master",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--actor", default=f"operator:{getpass.getuser()}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="domain keys sealed under each master key")
    commands.add_parser("add", help="generate a new master key version in the HSM")
    commands.add_parser("rotate", help="re-seal every domain key under the newest version")
    retire = commands.add_parser("retire", help="destroy a version no domain key names")
    retire.add_argument("key_id")
    return parser


async def run(arguments: argparse.Namespace, settings: Settings) -> dict[str, object]:
    master = master_keys.load(settings)
    engine = create_engine(
        settings.database_url, schema=SCHEMA, pool_size=1, tls=settings.database_tls()
    )
    sessionmaker = create_sessionmaker(engine)
    actor = arguments.actor
    try:
        if arguments.command == "add":
            return {"added": await master_keys.add(sessionmaker, master, actor=actor)}
        if arguments.command == "rotate":
            resealed = await master_keys.rotate(sessionmaker, master, actor=actor)
            return {"key_id": master.newest(), "resealed": resealed}
        if arguments.command == "retire":
            await master_keys.retire(sessionmaker, master, arguments.key_id, actor=actor)
            return {"retired": arguments.key_id}
        async with sessionmaker() as session:
            return {"newest": master.newest(), "sealed": await master_keys.status(session, master)}
    finally:
        master.close()
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        result = asyncio.run(run(arguments, Settings()))
    except (MasterKeyError, HsmError) as exc:
        print(f"hdh-linkage-master: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
