"""Who sees which datasets: the open catalogue.

A published dataset (or a deprecated one, which stays on record) is open to anyone, logged
in or not. A draft is seen only by hub staff and by the producers of its publishing
organisation; to anyone else it does not exist (404), in lists, search and feeds alike.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement, or_, true

from catalog.datasets.models import Dataset
from hdh_common.identity import Principal, PrincipalDep, Role

OPEN_STATUSES = ("published", "deprecated")


@dataclass(frozen=True)
class Visibility:
    everything: bool = False
    drafts_of: str | None = None
    """The publishing organisation whose drafts the caller sees besides the open datasets."""

    @classmethod
    def of(cls, principal: Principal) -> "Visibility":
        if principal.has_any(Role.HUB_STAFF, Role.SYSTEM):
            return cls(everything=True)
        if Role.PRODUCER in principal.roles and principal.organisation:
            return cls(drafts_of=principal.organisation)
        return cls()

    def sees(self, dataset: Dataset) -> bool:
        return (
            self.everything
            or dataset.status in OPEN_STATUSES
            or (self.drafts_of is not None and dataset.publisher == self.drafts_of)
        )

    def clause(self) -> ColumnElement[bool]:
        """The datasets seen, as a condition on the ``dataset`` table."""
        if self.everything:
            return true()
        seen = Dataset.status.in_(OPEN_STATUSES)
        return or_(seen, Dataset.publisher == self.drafts_of) if self.drafts_of else seen


async def visibility(principal: PrincipalDep) -> Visibility:
    return Visibility.of(principal)


VisibilityDep = Annotated[Visibility, Depends(visibility)]
