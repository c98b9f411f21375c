r"""The French NIR (numéro d'inscription au répertoire): its layout and its control key.

Layout: sex (1), year (2), month (2), department (2, ``2A``/``2B`` for Corsica), commune (3),
order (3), key (2). The key is ``97 - (number mod 97)`` of the 13-character body where, for
Corsica, the official rule reads ``2A`` as ``19`` and ``2B`` as ``18``.

:func:`pattern` is read alike by Python's ``re`` and by RE2 (pyarrow), where ``\d`` is an
ASCII digit; how strict a match must be (first digits, months, separators, case) is each
caller's choice. :mod:`hdh_identifiers.nir_arrow` holds the key over Arrow arrays.
"""

LENGTH = 15
BODY_LENGTH = 13
SEX_DIGITS = "123478"
"""A NIR's first digit: 1 or 2, 3 or 4 (born abroad, registered later), 7 or 8 (provisional)."""
SCAN_FIRST_DIGITS = "1278"
"""The first digits a scan for NIR-looking values accepts: a CIP13 drug code or a French EAN-13
barcode, 13 digits too, starts with 3."""
ANY_MONTH = r"\d\d"
MONTH = r"0[1-9]|1[0-2]|[2-9]\d"
"""A month 01-12, or 20-99 (a birth month unknown or a provisional number)."""
DEPARTMENT = r"\d\d|2A|2B"


def pattern(
    *, first: str = SEX_DIGITS, month: str = ANY_MONTH, gap: str = "", optional_key: bool = False
) -> str:
    """The layout as a regular expression, one group per part (sex, year, month, department,
    commune, order, key); ``first``: the first digits accepted; ``gap``: what may separate
    the parts; ``optional_key``: whether 13 characters, the key left out, match too."""
    parts = [f"([{first}])", r"(\d\d)", f"({month})", f"({DEPARTMENT})", r"(\d{3})", r"(\d{3})"]
    return gap.join([*parts, r"(\d\d)?" if optional_key else r"(\d\d)"])


def control_key(body: str) -> int:
    """The key of a 13-character body (``2A``/``2B`` read as 19/18, in either case)."""
    body = body.upper()
    number = int(body.replace("A", "0").replace("B", "0"))
    if "A" in body:
        number -= 1_000_000
    elif "B" in body:
        number -= 2_000_000
    return 97 - number % 97
