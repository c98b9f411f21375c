"""The lock check: the lock and the declared dependencies must agree, offline."""

from pathlib import Path

import pytest

from hdh_dev import lock

LOCKED = """\
# header
fastapi==0.115.0          # via hdh-common
starlette==0.40.0         # via fastapi
pytest==8.3.0             # via hdh-platform
splink==5.0.0             # via hdh-linkage
"""


def tree(root: Path, *, common: str = '"fastapi>=0.110"', locked: str = LOCKED) -> Path:
    (root / "libs" / "common").mkdir(parents=True)
    (root / "services" / "linkage").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "hdh-platform"\n[project.optional-dependencies]\n'
        'test = ["pytest>=8"]\nbench = ["hdh-linkage[bench]"]\n'
    )
    (root / "libs" / "common" / "pyproject.toml").write_text(
        f'[project]\nname = "hdh-common"\ndependencies = [{common}]\n'
    )
    (root / "services" / "linkage" / "pyproject.toml").write_text(
        '[project]\nname = "hdh-linkage"\ndependencies = ["hdh-common"]\n'
        '[project.optional-dependencies]\nbench = ["splink>=5"]\n'
    )
    (root / lock.LOCK).write_text(locked)
    return root


def test_the_repository_lock_agrees_with_its_pyproject_files() -> None:
    assert lock.check() == []


def test_a_consistent_tree_passes(tmp_path: Path) -> None:
    assert lock.check(tree(tmp_path)) == []


@pytest.mark.parametrize(
    ("common", "locked", "complaint"),
    [
        ('"fastapi>=0.110", "httpx>=0.27"', LOCKED, "httpx: declared by hdh-common"),
        ('"fastapi>=0.120"', LOCKED, "fastapi==0.115.0"),
        ("", LOCKED, "fastapi==0.115.0: nothing declared requires it"),
        ('"fastapi>=0.110"', LOCKED.replace("# via fastapi", "# via gone"), "starlette"),
    ],
    ids=["undeclared pin", "pin out of range", "removed dependency", "orphan transitive"],
)
def test_a_disagreement_fails(tmp_path: Path, common: str, locked: str, complaint: str) -> None:
    found = lock.check(tree(tmp_path, common=common, locked=locked))
    assert any(complaint in problem for problem in found), found


def test_no_lock_fails(tmp_path: Path) -> None:
    root = tree(tmp_path)
    (root / lock.LOCK).unlink()
    assert lock.check(root) == [f"no {lock.LOCK}: run `make lock`"]
    assert lock.main(["check"]) == 0
