"""Problems of this service, beyond the common tree; each has a stable ``type``."""

from hdh_common.errors import BadRequest, Conflict, Forbidden


class InvalidIdentifier(BadRequest):
    slug, title = "invalid-identifier", "Invalid identifier"


class FourEyes(Forbidden):
    slug, title = "four-eyes", "A second person must confirm"


class CentralVersionExists(Conflict):
    slug, title = "central-version-exists", "Version already in central"


class KeyDestroyed(Conflict):
    slug, title = "key-destroyed", "Pseudonym domain key destroyed"


class CentralKeyIndestructible(Conflict):
    slug, title = "central-key-indestructible", "The central key cannot be destroyed"


class DestructionPending(Conflict):
    slug, title = "destruction-pending", "Destruction already requested"


class RowLevelDataStaysInside(Forbidden):
    slug, title = "row-level-data-stays-inside", "Row-level data stays in the project space"
