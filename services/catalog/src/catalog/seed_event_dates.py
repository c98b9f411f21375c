"""The SNDS tables' event dates, for the seed: the column(s) a grant's period is applied to.

A Table Schema may declare them itself (``"eventDates": ["EXE_SOI_DTD"]``); the SNDS schemas
of ``shared/data/snds`` do not, so the seed adds these. A row is kept when one of its event
dates falls inside the period. Care tables use the care start date; the hospital stays
(PMSI) their discharge date, the year their annual files are cut by; the DCIR and EGB
detail tables, which hold no care date of their own (it is on the prestation table they
join), the date their flow was released; causes of death the date of death. Referentials
(``*_R`` beneficiaries, practitioners, long-term conditions, pathology maps) have none:
they are granted whole, and the grant says so.
"""

Columns = tuple[str, ...]
CARE_START: Columns = ("EXE_SOI_DTD",)
DISCHARGE: Columns = ("SOR_DAT",)
FLOW: Columns = ("FLX_DIS_DTD",)
DEATH: Columns = ("BEN_DCD_DTE",)

_DCIR_DETAIL = [
    "ANO",
    "ARO",
    "BIO",
    "CAM",
    "CPT",
    "DCT",
    "DTR",
    "ETE",
    "INV",
    "LOT",
    "PHA",
    "RAT",
    "TIP",
    "TRS",
    "UCD",
]
_DCIRS = ["BIO", "CAM", "DTR", "INV", "PHA", "PRS", "RAT", "TIP", "TRS", "UCD"]
_EGB_DETAIL = ["ARO", "BIO", "CAM", "DCT", "ETE", "INV", "PHA", "RAT", "TIP", "TRS", "UCD"]

_CARE: dict[str, Columns] = {"ER_PRS_F": CARE_START, "EB_PRS_F": CARE_START}
SNDS_EVENT_DATES: dict[str, Columns] = (
    _CARE
    | {f"NS_{name}_F": CARE_START for name in _DCIRS}
    | {f"ER_{name}_F": FLOW for name in _DCIR_DETAIL}
    | {f"EB_{name}_F": FLOW for name in _EGB_DETAIL}
    | {"MA_REM_FT": FLOW}
    | {f"T_{field}aaC": DISCHARGE for field in ("MCO", "HAD", "RIP", "SSR")}
    | {"T_MCOaaCSTC": DISCHARGE, "T_SSRaaCSTC": DISCHARGE}
    | {"KI_CCI_R": DEATH, "KI_ECD_R": DEATH}
)


def with_event_dates(name: str, schema: dict[str, object]) -> dict[str, object]:
    """``schema`` with the seed's event dates for table ``name``, unless it declares its own
    or lacks one of the columns."""
    columns = SNDS_EVENT_DATES.get(name, ())
    fields = schema.get("fields")
    listed = fields if isinstance(fields, list) else []
    names = {f.get("name") for f in listed if isinstance(f, dict)}
    if "eventDates" in schema or not columns or not set(columns) <= names:
        return schema
    return schema | {"eventDates": list(columns)}
