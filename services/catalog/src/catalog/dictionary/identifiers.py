"""Which variables identify a person: the flag that later drives pseudonymisation.

A Table Schema field may say so itself (``"identifier": "direct" | "indirect" | "none"``);
otherwise these rules, written for the SNDS naming scheme, decide. The linkage service
needs to know more than the flag: what kind of identifier a column holds decides how it
is validated and keyed (a NIR is checked and hashed, a national pseudonym such as
``BEN_NIR_PSA`` is keyed into the central domain as it is, a birth date is normalised).
A field may declare that too (``"identifierKind"``); otherwise :func:`kind` infers it.

Declarations add protection, never remove it: a declared flag or kind lower than what the
rules infer from the name is ignored (none < indirect < direct; a kind the linkage service
pseudonymises ranks above a birth date or a sex, which rank above none; a declared kind
replaces an inferred one of the same rank only to name a generic direct identifier).
"""

import re

IDENTIFIER_KINDS = ("direct", "indirect", "none")
KINDS = ("nir", "national_pseudonym", "name", "direct", "birth_date", "sex", "none")
_FLAG_RANK = {"none": 0, "indirect": 1, "direct": 2}
_KIND_RANK = {"none": 0, "birth_date": 1, "sex": 1} | dict.fromkeys(KINDS[:4], 2)
# Codes *about* an identifier (return codes, flags, labels, types, checks, the NIR's
# identification code, the insertion date) identify nobody.
_ABOUT = re.compile(r"_(RET|TOP|LIB|TYP|CTL)$|(^|_)(CDI_NIR|DTE_INS)$")
_DIRECT = re.compile(
    r"(^|_)(NIR|NIR_PSA|NIR_ANO|NUM_SS|INS)(_|$)|^BEN_IDT_ANO$|^ID_PATIENT$"
    r"|(^|_)(NOM|PRENOM|NOM_NAISSANCE|LAST_NAME|FIRST_NAME|SURNAME)$"
)
_INDIRECT = re.compile(
    r"(^|_)(NAI|DCD|RES_COM|RES_DPT|COM_RES|CPO|ZIP|POSTAL|SEX|SEXE)(_|$)|BIRTH|DATE_NAISS|DTE_NAIS"
)
_NATIONAL_PSEUDONYM = re.compile(r"(^|_)(NIR_PSA|NIR_ANO|IDT_ANO)(_|$)")
_NIR = re.compile(r"(^|_)(NIR|NUM_SS|INS)(_|$)")
_NAME = re.compile(r"(^|_)(NOM|PRENOM|NOM_NAISSANCE|LAST_NAME|FIRST_NAME|SURNAME)$")
_BIRTH_DATE = re.compile(r"BIRTH_DATE|DATE_NAISS|DTE_NAIS|(^|_)(DAT_NAI|NAI_DTE)$")
_SEX = re.compile(r"(^|_)(SEX|SEXE)(_COD)?$|^(COD|BEN)_SEX(_COD)?$")


def classify(name: str, declared: object = None) -> str:
    inferred = _classified(name.upper())
    if isinstance(declared, str) and _FLAG_RANK.get(declared, -1) > _FLAG_RANK[inferred]:
        return declared
    return inferred


def _classified(upper: str) -> str:
    if _ABOUT.search(upper):
        return "none"
    if _DIRECT.search(upper):
        return "direct"
    if _INDIRECT.search(upper):
        return "indirect"
    return "none"


def kind(name: str, identifier: str, declared: object = None) -> str:
    """What the linkage service does with a column flagged ``identifier``."""
    inferred = _kind(name.upper(), identifier)
    rank = _KIND_RANK.get(declared, -1) if isinstance(declared, str) else -1
    # a declared kind may name a generic direct identifier more precisely, or raise it
    if rank > _KIND_RANK[inferred] or (inferred == "direct" and rank == _KIND_RANK["direct"]):
        return str(declared)
    return inferred


def of_field(name: str, flag: object = None, declared_kind: object = None) -> str:
    """The kind of a column from its name and what its field declares (flag and kind)."""
    return kind(name, classify(name, flag), declared_kind)


def _kind(upper: str, identifier: str) -> str:
    if identifier == "none":
        return "none"
    if identifier == "direct":
        if _NATIONAL_PSEUDONYM.search(upper) or upper == "BEN_IDT_ANO":
            return "national_pseudonym"
        if _NIR.search(upper):
            return "nir"
        if _NAME.search(upper):
            return "name"
        return "direct"
    if _BIRTH_DATE.search(upper):
        return "birth_date"
    if _SEX.search(upper):
        return "sex"
    return "none"
