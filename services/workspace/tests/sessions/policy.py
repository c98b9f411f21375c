"""A small evaluator of IAM policies, enough for session policies: Allow statements, actions
and resources with wildcards, and the conditions the workspace writes (``DateLessThan`` on
``aws:CurrentTime``, ``StringLike`` on ``s3:prefix``). Anything else it does not know fails
the test rather than allow: default deny, like S3."""

from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, Any]) -> bool:
    actual = context.get(key)
    if actual is None:
        return False
    if operator == "DateLessThan":
        until = datetime.fromisoformat(str(expected).replace("Z", "+00:00"))
        return bool(actual < until.timestamp())
    if operator == "StringLike":
        return any(fnmatchcase(str(actual), pattern) for pattern in _listed(expected))
    raise AssertionError(f"condition {operator} is not known to this evaluator")


def allowed(
    policy: dict[str, Any], action: str, resource: str, *, now: float, prefix: str | None = None
) -> bool:
    """Whether ``policy`` lets ``action`` on ``resource`` at ``now`` (a Unix time)."""
    context = {"aws:CurrentTime": now, "s3:prefix": prefix}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        if not any(fnmatchcase(action, a) for a in _listed(statement["Action"])):
            continue
        if not any(fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
            continue
        conditions = statement.get("Condition", {})
        if all(
            _condition_holds(operator, key, expected, context)
            for operator, tests in conditions.items()
            for key, expected in tests.items()
        ):
            return True
    return False
