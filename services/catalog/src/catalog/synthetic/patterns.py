"""Strings matching a regular expression (a Table Schema ``pattern``), where feasible.

The pattern is parsed by Python's own regular-expression parser and walked: literals, classes,
ranges, repeats (an open repeat stops at a few), groups and alternatives. Anything else
(look-arounds, back-references) is not generated: the caller falls back and checks.
"""

import random
import re
import string
from typing import Any

try:  # Python 3.11 renamed the module; both spell the same parser
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

from re import _constants as sre  # type: ignore[attr-defined]

OPEN_REPEAT = 4
_CATEGORIES = {
    sre.CATEGORY_DIGIT: string.digits,
    sre.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
    sre.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre.CATEGORY_NOT_WORD: "-. ",
}
_ANY = string.ascii_letters + string.digits


class Infeasible(Exception):
    pass


def matching(pattern: str, rng: random.Random) -> str | None:
    """A string that the whole ``pattern`` matches, or None when it cannot be built here."""
    try:
        text = _walk(sre_parse.parse(pattern), rng)
    except (Infeasible, re.error, RecursionError):
        return None
    return text if re.fullmatch(pattern, text) else None


def _walk(items: Any, rng: random.Random) -> str:
    return "".join(_item(op, value, rng) for op, value in items)


def _item(op: Any, value: Any, rng: random.Random) -> str:
    if op is sre.LITERAL:
        return chr(value)
    if op is sre.ANY:
        return rng.choice(_ANY)
    if op is sre.IN:
        return rng.choice(_class(value))
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
        low, high, body = value
        high = low + OPEN_REPEAT if high is sre.MAXREPEAT else high
        return "".join(_walk(body, rng) for _ in range(rng.randint(low, max(low, high))))
    if op is sre.SUBPATTERN:
        return _walk(value[-1], rng)
    if op is sre.BRANCH:
        return _walk(rng.choice(value[1]), rng)
    if op is sre.AT:
        return ""
    raise Infeasible(str(op))


def _class(items: Any) -> str:
    chars: list[str] = []
    negate = False
    for op, value in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            chars.append(chr(value))
        elif op is sre.RANGE:
            chars.extend(chr(c) for c in range(value[0], min(value[1], value[0] + 200) + 1))
        elif op is sre.CATEGORY:
            chars.extend(_CATEGORIES.get(value, ""))
        else:
            raise Infeasible(str(op))
    if negate:
        chars = [c for c in _ANY if c not in set(chars)]
    if not chars:
        raise Infeasible("empty class")
    return "".join(chars)
