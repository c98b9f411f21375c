from datetime import date

import pytest

from hdh_common.business_days import (
    add_business_days,
    business_days_between,
    easter_sunday,
    public_holidays,
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_french_public_holidays_2026() -> None:
    assert sorted(public_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]


def test_due_dates_skip_weekends_and_holidays() -> None:
    assert add_business_days(date(2026, 5, 13), 1) == date(2026, 5, 15)  # Ascension
    assert add_business_days(date(2026, 7, 13), 1) == date(2026, 7, 15)  # 14 July
    assert add_business_days(date(2026, 4, 3), 1) == date(2026, 4, 7)  # Easter Monday
    assert add_business_days(date(2026, 12, 24), 2) == date(2026, 12, 29)
    assert add_business_days(date(2026, 4, 30), 10) == date(2026, 5, 19)


def test_business_days_between_is_the_inverse() -> None:
    start = date(2026, 4, 30)
    for days in range(0, 70, 7):
        assert business_days_between(start, add_business_days(start, days)) == days
    assert business_days_between(date(2026, 5, 19), date(2026, 5, 6)) == -7
