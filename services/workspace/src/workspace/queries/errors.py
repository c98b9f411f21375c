"""Problems of aggregate queries; each has a stable ``type``."""

from hdh_common.errors import BadRequest, Conflict, NotFound


class UnknownTable(NotFound):
    slug, title = "unknown-table", "No such table in the project"


class UnknownColumn(BadRequest):
    slug, title = "unknown-column", "No such column in the table"


class InvalidQuery(BadRequest):
    slug, title = "invalid-query", "The query cannot be run as asked"


class MeasureRefused(BadRequest):
    slug, title = "measure-refused", "This measure is never released"


class QueryLimitExceeded(BadRequest):
    slug, title = "query-limit-exceeded", "The query exceeded its limits"


class QueryCancelled(Conflict):
    slug, title = "query-cancelled", "The query was stopped before it finished"
