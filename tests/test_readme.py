from pathlib import Path

from hdh_dev.settings_doc import table

README = Path(__file__).parents[1] / "README.md"


def test_readme_holds_the_generated_configuration_table() -> None:
    assert table() in README.read_text(), "run `python -m hdh_dev.settings_doc` and paste it"


def test_readme_keeps_the_two_commands() -> None:
    text = README.read_text()
    assert "make up" in text and "make test" in text
