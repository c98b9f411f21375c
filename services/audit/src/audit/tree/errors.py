from hdh_common.errors import BadRequest


class UnknownTreeSize(BadRequest):
    slug, title = "audit-tree-size", "No such tree size or leaf"
