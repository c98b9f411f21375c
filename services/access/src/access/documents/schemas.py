import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

DocumentKind = Literal[
    "protocol",
    "data_management_plan",
    "cv",
    "signed_agreement",
    "committee_opinion",
    "regulator_decision",
    "final_report",
    "destruction_certificate",
    "other",
]
ACCEPTED_TYPES = frozenset(
    {
        "application/pdf",
        "text/plain",
        "text/markdown",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)


class Document(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    request_id: uuid.UUID
    kind: DocumentKind
    version: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
