"""Problems of the airlock; each has a stable ``type``."""

from hdh_common.errors import BadRequest, Conflict, Forbidden, PayloadTooLarge


class UnsupportedFormat(BadRequest):
    slug, title = "unsupported-format", "Outputs are CSV or Parquet tables, PNG or PDF figures"


class InvalidOutput(BadRequest):
    slug, title = "invalid-output", "The file is not what it says it is"


class OutputTooLarge(PayloadTooLarge):
    slug, title = "output-too-large", "The output is larger than an output may be"


class FigureWithoutTable(BadRequest):
    slug, title = "figure-without-table", "A figure or report goes out with the table it shows"


class OutputNotReleasable(Conflict):
    slug, title = "output-not-releasable", "The output is already in a request or decided"


class OutputNotReleased(Conflict):
    slug, title = "output-not-released", "Only released outputs leave the project space"


class NotIndependent(Forbidden):
    slug, title = "checker-not-independent", "A checker checks only projects they are not in"


class AlreadyDecided(Conflict):
    slug, title = "already-decided", "This output has this checker's decision already"
