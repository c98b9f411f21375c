"""RFC 8785 canonical JSON, checked on the RFC's own examples."""

import json

from audit.canonical import canonical_json

SECTION_3_2_3_INPUT = """{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
  "literals": [null, true, false]
}"""
SECTION_3_2_3_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)


def test_rfc_section_3_2_3_example() -> None:
    assert canonical_json(json.loads(SECTION_3_2_3_INPUT)).decode() == SECTION_3_2_3_OUTPUT


def test_properties_sorted_by_utf16_code_units() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonical_json(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_numbers_as_ecmascript_prints_them() -> None:
    cases = {
        0.0: "0",
        1e21: "1e+21",
        1e-7: "1e-7",
        123456789012345680000.0: "123456789012345680000",
        5e-324: "5e-324",
        1.7976931348623157e308: "1.7976931348623157e+308",
    }
    for number, text in cases.items():
        assert canonical_json(number).decode() == text


def test_integers_beyond_the_safe_range_become_doubles() -> None:
    assert canonical_json({"n": 2**60}) == b'{"n":1152921504606847000}'
