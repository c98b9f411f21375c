"""The bytes a tree head's signature covers, shared by the service and the offline verifier."""

from audit.canonical import canonical_json


def signed_message(*, tree_size: int, root_hash: str, timestamp: int) -> bytes:
    return canonical_json({"tree_size": tree_size, "root_hash": root_hash, "timestamp": timestamp})
