from hdh_common.errors import NotFound


class EntryNotFound(NotFound):
    slug = "audit-entry-not-found"
