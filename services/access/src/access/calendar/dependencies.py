from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends


def now() -> datetime:
    """The current instant; tests override this dependency to move the legal clock."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(now)]
