"""Problems of this service, beyond the common tree; each has a stable ``type``."""

from hdh_common.errors import Forbidden


class AccessEnded(Forbidden):
    slug, title = "access-ended", "No live access to this project space"
