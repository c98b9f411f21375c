"""Problems of this service, beyond the common tree; each has a stable ``type``."""

from hdh_common.errors import BadRequest, Conflict, NotFound


class UnknownTreeSize(BadRequest):
    slug, title = "audit-tree-size", "No such tree size or leaf"


class EntryNotFound(NotFound):
    slug = "audit-entry-not-found"


class TileNotFound(NotFound):
    slug, title = "audit-tile-not-found", "No such tile"


class EntryTooLargeForBundle(Conflict):
    slug, title = "audit-entry-too-large-for-bundle", "An entry does not fit an entry bundle"
