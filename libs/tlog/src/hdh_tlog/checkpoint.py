"""Checkpoints (c2sp.org/tlog-checkpoint): the note text ``origin``, ``size``, base64 root."""

import base64
import binascii
from dataclasses import dataclass

from hdh_tlog.merkle import HASH_SIZE
from hdh_tlog.note import NoteError


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        """``text``: a note's text, final newline included."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise NoteError("a checkpoint is at least three non-empty lines")
        origin, size, root = lines[:3]
        if not size.isdigit() or not size.isascii() or (size != "0" and size.startswith("0")):
            raise NoteError(f"bad tree size {size!r}")
        try:
            digest = base64.b64decode(root, validate=True)
        except binascii.Error as exc:
            raise NoteError("the root hash is not base64") from exc
        if len(digest) != HASH_SIZE:
            raise NoteError("the root hash is not 32 bytes")
        return cls(origin, int(size), digest, tuple(lines[3:-1]))
