"""Problems of this service, beyond the common tree; each has a stable ``type``."""

from hdh_common.errors import AppError, Conflict


class ChecksumMismatch(AppError):
    status, slug, title = 400, "checksum-mismatch", "Checksum mismatch"


class InvalidTableSchema(AppError):
    status, slug, title = 400, "invalid-table-schema", "Invalid Table Schema or Data Package"


class NotAcceptable(AppError):
    status, slug, title = 406, "not-acceptable", "Not acceptable"


class UploadClosed(Conflict):
    slug, title = "upload-closed", "Upload closed"


class IncompleteUpload(Conflict):
    slug, title = "incomplete-upload", "Incomplete upload"
