"""The identifier flag and kind: what drives pseudonymisation in the linkage service."""

import pytest

from catalog.dictionary.identifiers import classify, kind


@pytest.mark.parametrize(
    ("name", "flag", "expected"),
    [
        ("BEN_NIR_PSA", "direct", "national_pseudonym"),
        ("BEN_NIR_ANO", "direct", "national_pseudonym"),
        ("NIR_ANO_17", "direct", "national_pseudonym"),
        ("BEN_IDT_ANO", "direct", "national_pseudonym"),
        ("NUM_SS", "direct", "nir"),
        ("PAT_NIR", "direct", "nir"),
        ("PAT_NOM", "direct", "name"),
        ("PRENOM", "direct", "name"),
        ("ID_PATIENT", "direct", "direct"),
        ("NAI_DTE", "indirect", "birth_date"),
        ("BEN_SEX_COD", "indirect", "sex"),
        ("COD_SEX", "indirect", "sex"),
        ("BEN_NAI_ANN", "indirect", "none"),
        ("BEN_RES_COM", "indirect", "none"),
    ],
)
def test_each_snds_identifier_gets_its_kind(name: str, flag: str, expected: str) -> None:
    assert classify(name) == flag
    assert kind(name, flag) == expected


@pytest.mark.parametrize(
    "name", ["NIR_RET", "BEN_IDT_TOP", "SEX_LIB", "BEN_CDI_NIR", "BEN_DTE_INS"]
)
def test_codes_about_an_identifier_are_not_identifiers(name: str) -> None:
    assert classify(name) == "none"
    assert kind(name, "none") == "none"


def test_a_schema_declares_flag_and_kind_itself() -> None:
    assert classify("PATIENT_KEY", "direct") == "direct"
    assert kind("PATIENT_KEY", "direct", "nir") == "nir"
    assert kind("PATIENT_KEY", "direct", "not-a-kind") == "direct"
    assert kind("PATIENT_KEY", "none", "nir") == "nir"  # a declaration may add protection


@pytest.mark.parametrize(
    ("name", "declared", "expected"),
    [
        ("BEN_NIR", "none", "direct"),
        ("PAT_NOM", "indirect", "direct"),
        ("NAI_DTE", "none", "indirect"),
        ("BEN_NIR", "not-a-flag", "direct"),
        ("NIR_RET", "direct", "direct"),
        ("POIDS", "indirect", "indirect"),
    ],
)
def test_a_declared_flag_only_raises_protection(name: str, declared: str, expected: str) -> None:
    assert classify(name, declared) == expected


@pytest.mark.parametrize(
    ("name", "flag", "declared", "expected"),
    [
        ("PAT_NIR", "direct", "none", "nir"),
        ("PAT_NIR", "direct", "sex", "nir"),
        ("PAT_NIR", "direct", "birth_date", "nir"),
        ("PATIENT_KEY", "direct", "none", "direct"),
        ("PRENOM", "direct", "none", "name"),
        ("NAI_DTE", "indirect", "none", "birth_date"),
        ("NAI_DTE", "indirect", "nir", "nir"),
        ("NAI_DTE", "indirect", "sex", "birth_date"),
        ("PAT_NIR", "direct", "national_pseudonym", "nir"),
        ("POIDS", "none", "none", "none"),
    ],
)
def test_a_declared_kind_of_none_or_lower_never_switches_an_identifier_off(
    name: str, flag: str, declared: str, expected: str
) -> None:
    assert kind(name, flag, declared) == expected
