"""Free SQL is checked by parsing before it runs: one SELECT over the project's own tables,
nothing that reaches outside."""

import pytest

from workspace.analyses.errors import UnsafeSql
from workspace.analyses.sql import referenced_tables
from workspace.queries.errors import UnknownTable

TABLES = ["PEOPLE", "CARE"]


@pytest.mark.parametrize(
    ("sql", "read"),
    [
        ("SELECT * FROM PEOPLE", ["PEOPLE"]),
        ("select sex, count(*) from people group by sex", ["PEOPLE"]),  # names as SQL has them
        (
            "WITH spent AS (SELECT NIR, sum(AMOUNT) AS s FROM CARE GROUP BY NIR)"
            " SELECT p.*, s FROM PEOPLE p JOIN spent USING (NIR)",
            ["CARE", "PEOPLE"],
        ),
        ("SELECT * FROM PEOPLE WHERE NIR IN (SELECT NIR FROM CARE)", ["PEOPLE", "CARE"]),
    ],
)
def test_a_select_over_the_project_tables_passes(sql: str, read: list[str]) -> None:
    assert referenced_tables(sql, TABLES) == read


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT * FROM PEOPLE; SELECT * FROM CARE", "One statement is run, not 2"),
        ("SELECT 1; DROP TABLE PEOPLE", "One statement is run, not 2"),
        ("COPY PEOPLE TO '/tmp/people.csv'", "this is COPY"),
        ("COPY (SELECT * FROM PEOPLE) TO 's3://bucket/out.parquet'", "this is COPY"),
        ("ATTACH '/tmp/other.duckdb' AS other", "this is ATTACH"),
        ("INSTALL httpfs", "this is LOAD"),
        ("LOAD httpfs", "this is LOAD"),
        ("PRAGMA database_list", "this is PRAGMA"),
        ("SET enable_external_access = true", "this is SET"),
        ("CREATE TABLE x AS SELECT * FROM PEOPLE", "this is CREATE"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
        ("SELECT * FROM PEOPLE, read_parquet('s3://other/*.parquet')", "read_parquet()"),
        ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
        ("SELECT * FROM glob('/*')", "glob()"),
        ("SELECT * FROM query('SELECT 1')", "query()"),
        ("SELECT getenv('HOME'), * FROM PEOPLE", "getenv()"),
        ("SELECT * FROM main.PEOPLE", "without a schema"),
        ("SELECT * FROM other_db.main.PEOPLE", "without a schema"),
        ("SELECT 42", "reads none of the project's tables"),
        ("SELEC * FROM PEOPLE", "does not parse"),
    ],
)
def test_anything_else_is_refused_by_its_parse(sql: str, why: str) -> None:
    with pytest.raises((UnsafeSql, UnknownTable), match=why):
        referenced_tables(sql, TABLES)


def test_another_projects_table_is_unknown() -> None:
    with pytest.raises(UnknownTable, match="no table OTHER"):
        referenced_tables("SELECT * FROM PEOPLE JOIN OTHER USING (NIR)", TABLES)
