"""Problems of this service, beyond the common tree; each has a stable ``type``."""

from hdh_common.errors import BadRequest, NotFound


class UnknownTreeSize(BadRequest):
    slug, title = "audit-tree-size", "No such tree size or leaf"


class EntryNotFound(NotFound):
    slug = "audit-entry-not-found"
