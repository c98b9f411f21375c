"""Order rules between columns, a Table Schema property of ours (``orderRules``).

A table declares that a column's value comes before another's in each row::

    "orderRules": [
        {"before": "EXE_SOI_DTD", "after": "EXE_SOI_DTF"},
        {"before": {"resource": "IR_BEN_R", "field": "BEN_NAI_ANN"}, "after": "EXE_SOI_DTD"},
        {"before": "MER_NAI_ANN", "after": "BEN_NAI_ANN", "strict": true}
    ]

A side is a field of the table, or a field of the row that the table's foreign key to
``resource`` points to. The rule holds when ``before <= after`` (``<`` when ``strict``), in
each row where both are present; dates, datetimes, years and year-months are compared at
the coarser precision of the two (a year of birth before a care date compares years).
Stored normalised: each side an object ``{"field": ..., "resource": ...}``.
"""

from collections.abc import Mapping
from typing import Any, Protocol

ORDER_RULES = "orderRules"
TEMPORAL = frozenset({"date", "datetime", "year", "yearmonth"})
NUMERIC = frozenset({"integer", "number"})


class _Field(Protocol):
    @property
    def type(self) -> str: ...

    @property
    def format(self) -> str: ...


class _ForeignKey(Protocol):
    @property
    def reference_table(self) -> str: ...


def read_order_rules(
    raw: object,
    fields: Mapping[str, _Field],
    foreign_keys: tuple[_ForeignKey, ...],
    errors: list[dict[str, str]],
    *,
    where: str,
) -> tuple[dict[str, Any], ...]:
    if raw in (None, []):
        return ()
    if not isinstance(raw, list):
        errors.append({"loc": where, "msg": "orderRules is a list of rules."})
        return ()
    referenced = {fk.reference_table for fk in foreign_keys}
    rules = []
    for index, item in enumerate(raw):
        rule = _rule(item, fields, referenced, errors, where=f"{where}[{index}]")
        if rule is not None:
            rules.append(rule)
    if _has_cycle(rules):
        errors.append({"loc": where, "msg": "The order rules go round in a circle."})
    return tuple(rules)


def _rule(
    item: object,
    fields: Mapping[str, _Field],
    referenced: set[str],
    errors: list[dict[str, str]],
    *,
    where: str,
) -> dict[str, Any] | None:
    if not isinstance(item, dict) or "before" not in item or "after" not in item:
        errors.append({"loc": where, "msg": "A rule is an object with before and after."})
        return None
    count = len(errors)
    sides = {
        name: _side(item[name], fields, referenced, errors, where=f"{where}.{name}")
        for name in ("before", "after")
    }
    strict = item.get("strict", False)
    if not isinstance(strict, bool):
        errors.append({"loc": f"{where}.strict", "msg": "strict is true or false."})
    local = [fields[s["field"]].type for s in sides.values() if s and "resource" not in s]
    if len(errors) == count and not local:
        errors.append({"loc": where, "msg": "At least one side is a field of this table."})
    if (
        len(errors) == count
        and len(local) == 2
        and (local[0] in TEMPORAL) != (local[1] in TEMPORAL)
    ):
        errors.append({"loc": where, "msg": "A date is only ordered against a date."})
    if len(errors) > count:
        return None
    return {"before": sides["before"], "after": sides["after"], "strict": strict}


def _side(
    raw: object,
    fields: Mapping[str, _Field],
    referenced: set[str],
    errors: list[dict[str, str]],
    *,
    where: str,
) -> dict[str, str] | None:
    if isinstance(raw, str):
        field = fields.get(raw)
        if field is None:
            errors.append({"loc": where, "msg": f"{raw!r} is not a field of this table."})
        elif field.type not in TEMPORAL | NUMERIC or not _has_year(field):
            errors.append({"loc": where, "msg": f"{raw!r} is not a number, date or year."})
        else:
            return {"field": raw}
        return None
    if isinstance(raw, dict) and isinstance(raw.get("field"), str):
        resource = raw.get("resource")
        if not isinstance(resource, str) or resource not in referenced:
            errors.append({"loc": where, "msg": "resource is a table a foreign key points to."})
            return None
        return {"field": raw["field"], "resource": resource}
    errors.append({"loc": where, "msg": "A side is a field name or {resource, field}."})
    return None


def _has_year(field: _Field) -> bool:
    """A date written without its year (``%m``, a month) has no place in time."""
    return (
        field.type not in ("date", "datetime")
        or field.format in ("default", "any", "")
        or ("%Y" in field.format or "%y" in field.format)
    )


def _has_cycle(rules: list[dict[str, Any]]) -> bool:
    edges: dict[str, set[str]] = {}
    for rule in rules:
        if "resource" not in rule["before"] and "resource" not in rule["after"]:
            edges.setdefault(rule["before"]["field"], set()).add(rule["after"]["field"])
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        state[node] = 1
        for target in edges.get(node, ()):
            if state.get(target) == 1 or (target not in state and visit(target)):
                return True
        state[node] = 2
        return False

    return any(node not in state and visit(node) for node in list(edges))
