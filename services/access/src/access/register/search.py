"""Full-text search of the register: the indexed text and the queries are folded alike (lower
case, accents taken off), so that « Diabète » and « diabete » find each other; Postgres's
French configuration then stems and drops stop words."""

import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def searchable(parts: Iterable[str | None]) -> str:
    return fold(" ".join(part for part in parts if part))
