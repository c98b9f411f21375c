"""Free SQL checked by parsing, before it reaches the sandbox.

DuckDB's own parser splits the text into statements and gives the tree of the one allowed,
a ``SELECT``: every table it names must be one of the project's tables (or a name the query
defines with ``WITH``), never in another schema or catalogue; table functions
(``read_csv``, ``read_parquet``, ``glob``, ``query``…) and functions that reach outside the
query are refused. The sandbox stays the second line: no external access, locked
configuration, limits.
"""

import json
from collections.abc import Iterable, Iterator
from typing import Any

import duckdb

from workspace.analyses.errors import UnsafeSql
from workspace.queries.errors import UnknownTable

REFUSED_FUNCTIONS = frozenset(
    {"getenv", "read_text", "read_blob", "glob", "current_setting", "query", "query_table"}
)


def referenced_tables(sql: str, tables: Iterable[str]) -> list[str]:
    """The project's tables the query reads, in order of first mention; refused unless it
    is a single ``SELECT`` over them alone."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise UnsafeSql(f"The SQL does not parse: {_first_line(error)}") from error
    if len(statements) != 1:
        raise UnsafeSql(f"One statement is run, not {len(statements)}.")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise UnsafeSql(f"Only a SELECT is run; this is {kind.name}.")
    tree = _tree(sql)
    defined = {name.lower() for node in _nodes(tree) for name in _cte_names(node)}
    known = {name.lower(): name for name in tables}  # SQL names are case-insensitive
    read: list[str] = []
    for node in _nodes(tree):
        kind_ = node.get("type")
        if kind_ == "TABLE_FUNCTION":
            name = node.get("function", {}).get("function_name", "?")
            raise UnsafeSql(f"Table functions such as {name}() are not allowed.")
        if node.get("class") == "FUNCTION" and node.get("function_name") in REFUSED_FUNCTIONS:
            raise UnsafeSql(f"The function {node['function_name']}() is not allowed.")
        if kind_ == "BASE_TABLE":
            if node.get("schema_name") or node.get("catalog_name"):
                raise UnsafeSql("Tables are named without a schema or catalogue.")
            name = node["table_name"]
            if name.lower() in defined:
                continue
            if name.lower() not in known:
                raise UnknownTable(f"The project space has no table {name}.")
            if known[name.lower()] not in read:
                read.append(known[name.lower()])
    if not read:
        raise UnsafeSql("The query reads none of the project's tables.")
    return read


def _tree(sql: str) -> dict[str, Any]:
    with duckdb.connect(":memory:", config={"enable_external_access": False}) as connection:
        row = connection.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    tree: dict[str, Any] = json.loads(row[0]) if row else {"error": True}
    if tree.get("error"):
        raise UnsafeSql(f"The SQL cannot be checked: {tree.get('error_message', 'no tree')}.")
    return tree


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child)


def _cte_names(node: dict[str, Any]) -> list[str]:
    entries = (
        node.get("cte_map", {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []
    )
    return [entry["key"] for entry in entries if isinstance(entry, dict) and "key" in entry]


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:200]
