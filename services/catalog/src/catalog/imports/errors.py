from hdh_common.errors import AppError


class InvalidTableSchema(AppError):
    status, slug, title = 400, "invalid-table-schema", "Invalid Table Schema or Data Package"
