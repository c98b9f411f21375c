from pydantic import Field

from hdh_common.settings import ServiceSettings


class Settings(ServiceSettings):
    port: int = Field(8002, description="Port the HTTP server listens on.")
    clock_admissibility_days: int = Field(
        10, ge=1, description="French business days staff have to check a submitted request."
    )
    clock_applicant_days: int = Field(
        20,
        ge=1,
        description="Business days an applicant has to complete a request (EHDS: 4 weeks).",
    )
    clock_decision_days: int = Field(
        65,
        ge=1,
        description="Business days from a complete request to the decision (EHDS: 3 months).",
    )
    clock_agreement_days: int = Field(
        20, ge=1, description="Business days to sign the data-use agreement once authorised."
    )
    clock_preparation_days: int = Field(
        20, ge=1, description="Business days to prepare the project extract."
    )
    documents_bucket: str = Field(
        "access-documents", description="Object-store bucket of the access requests' documents."
    )
    document_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="Largest document accepted, in bytes."
    )
    grant_sweep_interval: float = Field(
        300.0, gt=0, description="Seconds between two sweeps that expire grants past their end."
    )
