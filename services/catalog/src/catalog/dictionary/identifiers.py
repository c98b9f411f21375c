"""Which variables identify a person: the flag that later drives pseudonymisation.

A Table Schema field may say so itself (``"identifier": "direct" | "indirect" | "none"``);
otherwise these rules, written for the SNDS naming scheme, decide.
"""

import re

IDENTIFIER_KINDS = ("direct", "indirect", "none")
_DIRECT = re.compile(r"(^|_)(NIR|NIR_PSA|NIR_ANO|NUM_SS|INS)(_|$)|^BEN_IDT_ANO$|^ID_PATIENT$")
_INDIRECT = re.compile(
    r"(^|_)(NAI|DCD|RES_COM|RES_DPT|COM_RES|CPO|ZIP|POSTAL)(_|$)|BIRTH|DATE_NAISS|DTE_NAIS"
)


def classify(name: str, declared: object = None) -> str:
    if isinstance(declared, str) and declared in IDENTIFIER_KINDS:
        return declared
    upper = name.upper()
    if _DIRECT.search(upper):
        return "direct"
    if _INDIRECT.search(upper):
        return "indirect"
    return "none"
