from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from access.text import STORABLE

TransitionName = Literal[
    "submit",
    "request_info",
    "resubmit",
    "declare_admissible",
    "refer_to_committee",
    "reopen_committee_review",
    "forward_to_regulator",
    "authorise_under_methodology",
    "reject",
    "authorise",
    "refuse",
    "sign_agreement",
    "start_preparation",
    "fail_preparation",
    "retry_preparation",
    "activate",
    "close",
    "withdraw",
]


class TransitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transition: TransitionName
    version: int = Field(ge=1, description="The request's `version` as last read.")
    reason: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, max_length=20_000, pattern=STORABLE)
        ]
        | None
    ) = Field(
        None,
        description="Required to request information, reopen a committee review (a new "
        "round), reject, refuse, withdraw, or say why data preparation failed.",
    )


class TransitionRule(BaseModel):
    """One row of the workflow's transitions table."""

    name: str
    from_states: list[str]
    to_state: str
    roles: list[str]
    relation: str = Field(
        description="`applicant`: a member of the project; `independent`: four eyes (not a "
        "member, not the filer, no declared conflict of interest)."
    )
    guard: str | None
    reason_required: bool
    clock: str = Field(description="What happens to the due date (`clock_*_days` settings).")
    event: str
