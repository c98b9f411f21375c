from typing import Literal

from pydantic import BaseModel, Field


class SignedTreeHead(BaseModel):
    tree_size: int
    root_hash: str = Field(description="Hex.")
    timestamp: int = Field(description="Milliseconds since the Unix epoch, UTC.")
    signature: str = Field(
        description="Base64 Ed25519 signature over the RFC 8785 JSON of "
        '`{"tree_size", "root_hash", "timestamp"}`.'
    )
    key_id: str


class PublicKey(BaseModel):
    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: str = Field(description="Base64 of the raw 32-byte key.")


class PublicKeys(BaseModel):
    keys: list[PublicKey]
