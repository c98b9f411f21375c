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
    assert kind("PATIENT_KEY", "none", "nir") == "none"
