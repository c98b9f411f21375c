from sqlalchemy import BigInteger, LargeBinary, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from audit.db import Base


class TreeNode(Base):
    """A complete subtree: ``2**level`` leaves from leaf ``idx * 2**level``; level 0 = leaves."""

    __tablename__ = "tree_node"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary)
