"""Problems of free SQL analyses; each has a stable ``type``."""

from typing import Any

from hdh_common.errors import AppError, BadRequest, Conflict, problem_type


def as_problem(error: AppError) -> dict[str, Any]:
    """The error as the problem detail an analysis keeps (``type``, ``title``, ``detail``)."""
    return {"type": problem_type(error.slug), "title": error.title, "detail": str(error)}


class UnsafeSql(BadRequest):
    slug, title = "unsafe-sql", "Only one read-only SELECT over the project's tables is run"


class TableNameTaken(Conflict):
    slug, title = "table-name-taken", "The project space already has a table of that name"


class AnalysisFinished(Conflict):
    slug, title = "analysis-finished", "The analysis has already finished"


class SqlFailed(BadRequest):
    slug, title = "sql-failed", "The analysis could not be computed"
