"""Due dates of the workflow's waiting states, and the pause while the applicant has the hand."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from access.config import Settings
from hdh_common.business_days import add_business_days, business_days_between, french_day


class Clock(StrEnum):
    """What a transition does to the request's due date (``clock_*_days`` settings)."""

    ADMISSIBILITY = "admissibility"
    PAUSE_FOR_APPLICANT = "pause_for_applicant"
    RESUME = "resume"
    DECISION = "decision"
    KEEP = "keep"
    AGREEMENT = "agreement"
    PREPARATION = "preparation"
    STOP = "stop"


def legal_day(instant: datetime) -> date:
    """The calendar day in France at ``instant``: the clock counts French days."""
    return french_day(instant)


@dataclass(frozen=True)
class ClockState:
    due_on: date | None
    paused_days_left: int | None


def advance(clock: Clock, current: ClockState, *, today: date, settings: Settings) -> ClockState:
    start = {
        Clock.ADMISSIBILITY: settings.clock_admissibility_days,
        Clock.DECISION: settings.clock_decision_days,
        Clock.AGREEMENT: settings.clock_agreement_days,
        Clock.PREPARATION: settings.clock_preparation_days,
    }
    if clock in start:
        return ClockState(add_business_days(today, start[clock]), None)
    if clock is Clock.PAUSE_FOR_APPLICANT:
        left = None
        if current.due_on is not None:
            left = max(business_days_between(today, current.due_on), 0)
        return ClockState(add_business_days(today, settings.clock_applicant_days), left)
    if clock is Clock.RESUME:
        days = current.paused_days_left
        return ClockState(
            add_business_days(today, settings.clock_admissibility_days if days is None else days),
            None,
        )
    if clock is Clock.STOP:
        return ClockState(None, None)
    return current
