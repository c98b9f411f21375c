from hdh_common.errors import AppError, Conflict


class ChecksumMismatch(AppError):
    status, slug, title = 400, "checksum-mismatch", "Checksum mismatch"


class UploadClosed(Conflict):
    slug, title = "upload-closed", "Upload closed"


class IncompleteUpload(Conflict):
    slug, title = "incomplete-upload", "Incomplete upload"
