from pydantic import BaseModel, Field


class InclusionProof(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str = Field(description="Hex.")
    hashes: list[str] = Field(description="Hex, leaf side first (RFC 9162 section 2.1.3).")


class ConsistencyProof(BaseModel):
    first: int
    second: int
    hashes: list[str] = Field(description="Hex (RFC 9162 section 2.1.4).")
