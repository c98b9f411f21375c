"""The lock file: every third-party distribution pinned, for `make install`, CI and the images.

``constraints.txt`` at the root is pip-compile's resolution of every part's declared
dependencies (with the root's ``test`` and ``bench`` extras), without the parts themselves:
pip takes it with ``-c``, so the parts stay editable installs from the tree.

``python -m hdh_dev.lock write`` re-resolves it (pip-compile keeps the pins that still fit);
``python -m hdh_dev.lock check`` (in ``make lint``) fails, offline, when the lock and the
declared dependencies disagree: a declared dependency without a pin, a pin outside its
declared range, or a pin that nothing declared or locked requires any more.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[4]
LOCK = "constraints.txt"
ROOT_EXTRAS = ("test", "bench")
HEADER = (
    "# The lock: pip-compile's resolution of every part's dependencies. Do not edit;\n"
    "# `make lock` rewrites it, `make lint` checks it against the pyproject files.\n"
)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?:\s+#\s+via\s+(.*))?$")


@dataclass(frozen=True)
class Project:
    name: str
    folder: Path
    requirements: tuple[Requirement, ...]


@dataclass
class Pin:
    version: Version
    via: set[str] = field(default_factory=set)


def projects(root: Path = ROOT) -> list[Project]:
    """Every part of the repository with its declared requirements (and the extras of parts
    that another part asks for, e.g. ``hdh-linkage[bench]``)."""
    files = [root / "pyproject.toml", *sorted(root.glob("*/pyproject.toml"))]
    files += sorted(root.glob("*/*/pyproject.toml"))
    tables = {path.parent: tomllib.loads(path.read_text())["project"] for path in files}
    declared = {
        folder: [*table.get("dependencies", [])]
        + [
            item
            for extra in (ROOT_EXTRAS if folder == root else ())
            for item in table.get("optional-dependencies", {}).get(extra, [])
        ]
        for folder, table in tables.items()
    }
    names = {canonicalize_name(table["name"]): folder for folder, table in tables.items()}
    for items in list(declared.values()):
        for requirement in map(Requirement, items):
            local = names.get(canonicalize_name(requirement.name))
            if local is None:
                continue
            extras = tables[local].get("optional-dependencies", {})
            for extra in requirement.extras:
                declared[local] += extras.get(extra, [])
    return [
        Project(
            canonicalize_name(tables[folder]["name"]),
            folder,
            tuple(Requirement(item) for item in dict.fromkeys(items)),
        )
        for folder, items in declared.items()
    ]


def parse_lock(text: str) -> dict[str, Pin]:
    """``name==version  # via parent, parent`` lines (pip-compile's line annotations)."""
    pins: dict[str, Pin] = {}
    for line in text.splitlines():
        if match := _PIN.match(line.strip()):
            sources = (source.strip() for source in (match.group(3) or "").split(","))
            via: set[str] = {
                canonicalize_name(re.split(r"[\s\[(]", source)[0])
                for source in sources
                if source and not source.startswith(("-r ", "-c "))
            }
            pins[canonicalize_name(match.group(1))] = Pin(Version(match.group(2)), via)
    return pins


def problems(parts: Sequence[Project], pins: dict[str, Pin]) -> list[str]:
    own = {project.name for project in parts}
    declared: dict[str, set[str]] = {}
    found = []
    for project in parts:
        for requirement in project.requirements:
            name = canonicalize_name(requirement.name)
            if name in own:
                continue
            declared.setdefault(name, set()).add(project.name)
            pin = pins.get(name)
            if pin is None:
                found.append(f"{name}: declared by {project.name}, not in {LOCK}")
            elif not requirement.specifier.contains(pin.version, prereleases=True):
                found.append(
                    f"{name}=={pin.version} in {LOCK}, {project.name} declares {requirement}"
                )
    found += _stale(pins, declared, own)
    return found


def _stale(pins: dict[str, Pin], declared: dict[str, set[str]], own: set[str]) -> list[str]:
    """A pin is needed when a part declares it or another pin names it as a parent."""
    found = []
    for name, pin in sorted(pins.items()):
        if name in declared:
            continue
        parents = {via for via in pin.via if via in pins or via in own}
        claimed = {via for via in parents if via in own}
        if not parents or (claimed and claimed == parents):
            found.append(f"{name}=={pin.version}: nothing declared requires it any more")
    return found


def check(root: Path = ROOT) -> list[str]:
    lock = root / LOCK
    if not lock.exists():
        return [f"no {LOCK}: run `make lock`"]
    return problems(projects(root), parse_lock(lock.read_text()))


def write(root: Path = ROOT, *, upgrade: Iterable[str] = ()) -> None:
    """Re-resolve with pip-compile, keeping the current pins where they still fit."""
    parts = projects(root)
    lines = [f"-e {p.folder.relative_to(root)}" for p in parts if p.folder != root]
    lines.append(f"-e .[{','.join(ROOT_EXTRAS)}]")
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "lock.in", Path(folder) / "lock.txt"
        source.write_text("\n".join(lines) + "\n")
        if (root / LOCK).exists():
            output.write_text((root / LOCK).read_text())
        command = [sys.executable, "-m", "piptools", "compile", "--quiet", "--strip-extras"]
        command += ["--allow-unsafe", "--no-header", "--no-emit-index-url"]
        command += ["--no-emit-find-links", "--no-emit-trusted-host", "--annotation-style=line"]
        command += [f"--upgrade-package={name}" for name in upgrade]
        command += ["-o", str(output), str(source)]
        subprocess.run(command, cwd=root, check=True)  # noqa: S603 (our own arguments)
        pinned = [line for line in output.read_text().splitlines() if not line.startswith("-e")]
    (root / LOCK).write_text(HEADER + "\n".join(_relative(pinned)) + "\n")


def _relative(lines: list[str]) -> list[str]:
    """pip-compile names the temporary input file; the lock names the parts."""
    return [re.sub(r"-r \S+lock\.in", "-r the parts", line) for line in lines]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hdh_dev.lock", description=__doc__)
    parser.add_argument("command", choices=("check", "write"))
    parser.add_argument("--upgrade-package", action="append", default=[])
    args = parser.parse_args(argv)
    if args.command == "write":
        write(upgrade=args.upgrade_package)
        return 0
    found = check()
    for problem in found:
        print(f"{LOCK}: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
