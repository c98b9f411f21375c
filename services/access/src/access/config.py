from typing import Literal

from pydantic import Field, SecretStr

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
    notification_poll_interval: float = Field(
        2.0, gt=0, description="Seconds between two rounds of the webhook and e-mail worker."
    )
    notification_max_attempts: int = Field(
        8, ge=1, le=30, description="Attempts at a webhook or an e-mail before it is dead-lettered."
    )
    notification_backoff_base: float = Field(
        5.0, gt=0, description="Seconds before the first retry; each next one waits twice as long."
    )
    notification_backoff_max: float = Field(
        3600.0, gt=0, description="Longest wait between two attempts, in seconds."
    )
    webhook_timeout: float = Field(
        10.0, gt=0, description="Seconds a partner endpoint has to answer a webhook."
    )
    smtp_host: str = Field(
        "", description="SMTP server for e-mail notifications; empty: no e-mail is sent."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "starttls", description="How the SMTP connection is secured: none, STARTTLS or TLS."
    )
    smtp_username: str = Field("", description="SMTP login; empty: no authentication.")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password.")
    smtp_from: str = Field(
        "notifications@hdh.localhost", description="Sender address of notification e-mails."
    )
    staff_email: str = Field(
        "", description="Hub staff mailbox told of submitted requests and missed deadlines."
    )
    webhook_allow_private_addresses: bool = Field(
        False,
        description="Accept webhook endpoints on loopback, private or link-local addresses "
        "(tests, closed networks); off, a partner cannot aim the hub at its own network.",
    )
