"""The access-request workflow, in one table.

Each :class:`Transition` says who may take it (roles, and their relation to the request),
its guard, whether a reason text is required, what it does to the legal clock, and the
event it emits (``hdh.access.request.<event>.v1``). Nothing else decides a state change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from access.calendar.legal_clock import Clock
from hdh_common.identity import Role


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    ADMISSIBLE = "admissible"
    COMMITTEE_REVIEW = "committee_review"
    REGULATOR_REVIEW = "regulator_review"
    AUTHORISED = "authorised"
    AGREEMENT_SIGNED = "agreement_signed"
    DATA_PREPARATION = "data_preparation"
    PREPARATION_FAILED = "preparation_failed"
    ACTIVE = "active"
    CLOSED = "closed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Relation(StrEnum):
    APPLICANT = "applicant"
    """A member of the request's project."""
    INDEPENDENT = "independent"
    """Four eyes: not a member of the project, not its filer, no declared conflict."""


@dataclass(frozen=True)
class Evidence:
    """What the guards look at: the request's basis and its recorded documents and records."""

    legal_basis: str
    documents: frozenset[str] = frozenset()
    opinion: str | None = None
    regulator: str | None = None
    authorisation_number: str | None = None
    agreements: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Guard:
    """A condition of a transition: ``check`` returns why it fails, or ``None``."""

    description: str
    check: Callable[[Evidence], str | None]

    def __call__(self, evidence: Evidence) -> str | None:
        return self.check(evidence)


FAVOURABLE = ("favourable", "favourable_with_reservations")
REQUIRED_DOCUMENTS = ("protocol", "data_management_plan")
CLOSING_DOCUMENTS = ("final_report", "destruction_certificate")


def _documents(*kinds: str) -> Guard:
    def check(evidence: Evidence) -> str | None:
        missing = [k for k in kinds if k not in evidence.documents]
        return f"Documents missing: {', '.join(missing)}." if missing else None

    return Guard(f"documents present: {', '.join(kinds)}", check)


def _favourable_opinion(basis: str) -> Guard:
    def check(evidence: Evidence) -> str | None:
        if evidence.opinion not in FAVOURABLE:
            return "A favourable committee opinion must be recorded first."
        if evidence.legal_basis != basis:
            return f"This path is for a request whose legal basis is {basis}."
        return None

    return Guard(f"a favourable committee opinion is recorded; the legal basis is {basis}", check)


def _opinion_unfavourable(evidence: Evidence) -> str | None:
    return None if evidence.opinion == "unfavourable" else "No unfavourable opinion is recorded."


def _opinion_recorded(evidence: Evidence) -> str | None:
    return None if evidence.opinion else "No opinion is recorded in the current round."


def _regulator(outcome: str) -> Guard:
    def check(evidence: Evidence) -> str | None:
        if evidence.regulator != outcome:
            return f"The regulator's decision ({outcome}) must be recorded first."
        return None

    return Guard(f"the regulator's decision ({outcome}) is recorded", check)


def _agreement_signed(evidence: Evidence) -> str | None:
    if "data_use_agreement" not in evidence.agreements:
        return "The signed data-use agreement must be recorded first."
    return None


def ready_for_access(evidence: Evidence) -> str | None:
    """The invariant of ``active``: an opinion, a legal basis and a signed agreement."""
    if evidence.opinion not in FAVOURABLE:
        return "No favourable committee opinion is recorded."
    if evidence.legal_basis == "cnil_authorisation" and not evidence.authorisation_number:
        return "No regulator authorisation number is recorded."
    return _agreement_signed(evidence)


OPINION_RECORDED = Guard("the current committee round's opinion is recorded", _opinion_recorded)
OPINION_UNFAVOURABLE = Guard("an unfavourable committee opinion is recorded", _opinion_unfavourable)
AGREEMENT_SIGNED = Guard("the signed data-use agreement is recorded", _agreement_signed)
READY_FOR_ACCESS = Guard(
    "a favourable opinion, a legal basis (authorisation number or reference methodology) and "
    "the signed data-use agreement are recorded",
    ready_for_access,
)
STAFF = frozenset({Role.HUB_STAFF})
BEFORE_ACTIVE = frozenset(
    {
        State.DRAFT,
        State.SUBMITTED,
        State.INFO_REQUESTED,
        State.ADMISSIBLE,
        State.COMMITTEE_REVIEW,
        State.REGULATOR_REVIEW,
        State.AUTHORISED,
        State.AGREEMENT_SIGNED,
        State.DATA_PREPARATION,
        State.PREPARATION_FAILED,
    }
)


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[State]
    target: State
    event: str
    roles: frozenset[Role]
    relation: Relation = Relation.INDEPENDENT
    guard: Guard | None = None
    reason_required: bool = False
    clock: Clock = Clock.KEEP
    publishes_reason: bool = False

    @property
    def event_type(self) -> str:
        return f"hdh.access.request.{self.event}.v1"


def _t(name: str, sources: set[State], target: State, event: str, **kw: object) -> Transition:
    return Transition(name, frozenset(sources), target, event, **kw)  # type: ignore[arg-type]


RESEARCHER = frozenset({Role.RESEARCHER})
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("submit", {State.DRAFT}, State.SUBMITTED, "submitted", roles=RESEARCHER,
           relation=Relation.APPLICANT, guard=_documents(*REQUIRED_DOCUMENTS),
           clock=Clock.ADMISSIBILITY),
        _t("request_info", {State.SUBMITTED}, State.INFO_REQUESTED, "info_requested",
           roles=STAFF, reason_required=True, clock=Clock.PAUSE_FOR_APPLICANT),
        _t("resubmit", {State.INFO_REQUESTED}, State.SUBMITTED, "resubmitted", roles=RESEARCHER,
           relation=Relation.APPLICANT, guard=_documents(*REQUIRED_DOCUMENTS), clock=Clock.RESUME),
        _t("declare_admissible", {State.SUBMITTED}, State.ADMISSIBLE, "declared_admissible",
           roles=STAFF, guard=_documents(*REQUIRED_DOCUMENTS), clock=Clock.DECISION),
        _t("refer_to_committee", {State.ADMISSIBLE}, State.COMMITTEE_REVIEW,
           "referred_to_committee", roles=STAFF),
        _t("reopen_committee_review", {State.COMMITTEE_REVIEW}, State.COMMITTEE_REVIEW,
           "committee_review_reopened", roles=STAFF, guard=OPINION_RECORDED,
           reason_required=True),
        _t("forward_to_regulator", {State.COMMITTEE_REVIEW}, State.REGULATOR_REVIEW,
           "forwarded_to_regulator", roles=STAFF,
           guard=_favourable_opinion("cnil_authorisation")),
        _t("authorise_under_methodology", {State.COMMITTEE_REVIEW}, State.AUTHORISED,
           "authorised_under_methodology", roles=STAFF,
           guard=_favourable_opinion("reference_methodology"), clock=Clock.AGREEMENT),
        _t("reject", {State.COMMITTEE_REVIEW}, State.REJECTED, "rejected",
           roles=frozenset({Role.HUB_STAFF, Role.COMMITTEE_MEMBER}),
           guard=OPINION_UNFAVOURABLE, reason_required=True, clock=Clock.STOP,
           publishes_reason=True),
        _t("authorise", {State.REGULATOR_REVIEW}, State.AUTHORISED, "authorised",
           roles=frozenset({Role.REGULATOR}), guard=_regulator("authorised"),
           clock=Clock.AGREEMENT),
        _t("refuse", {State.REGULATOR_REVIEW}, State.REJECTED, "refused",
           roles=frozenset({Role.REGULATOR}), guard=_regulator("refused"),
           reason_required=True, clock=Clock.STOP, publishes_reason=True),
        _t("sign_agreement", {State.AUTHORISED}, State.AGREEMENT_SIGNED, "agreement_signed",
           roles=STAFF, guard=AGREEMENT_SIGNED, clock=Clock.PREPARATION),
        _t("start_preparation", {State.AGREEMENT_SIGNED}, State.DATA_PREPARATION,
           "preparation_started", roles=STAFF, guard=READY_FOR_ACCESS),
        _t("fail_preparation", {State.DATA_PREPARATION}, State.PREPARATION_FAILED,
           "preparation_failed", roles=frozenset({Role.SYSTEM}), reason_required=True),
        _t("retry_preparation", {State.PREPARATION_FAILED}, State.DATA_PREPARATION,
           "preparation_retried", roles=STAFF, guard=READY_FOR_ACCESS),
        _t("activate", {State.DATA_PREPARATION}, State.ACTIVE, "activated",
           roles=frozenset({Role.SYSTEM}), guard=READY_FOR_ACCESS,
           clock=Clock.STOP),
        _t("close", {State.ACTIVE}, State.CLOSED, "closed", roles=STAFF,
           guard=_documents(*CLOSING_DOCUMENTS), clock=Clock.STOP),
        _t("withdraw", set(BEFORE_ACTIVE), State.WITHDRAWN, "withdrawn", roles=RESEARCHER,
           relation=Relation.APPLICANT, reason_required=True, clock=Clock.STOP),
    ]
}  # fmt: skip


def available_from(state: State) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]


def edges() -> set[tuple[State, State]]:
    return {(source, t.target) for t in TRANSITIONS.values() for source in t.sources}
