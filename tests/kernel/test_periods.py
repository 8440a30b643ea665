import datetime as dt

import pytest

from ews.kernel.periods import PeriodError, granularity, period_end, period_of, period_range


def test_granularities():
    assert [granularity(p) for p in ("2023", "2023-07", "2023-Q3", "2023-W07")] == ["year", "month", "quarter", "week"]


@pytest.mark.parametrize("bad", ["2023-13", "2023-Q5", "2023-W54", "23-01", "2023/01", "", "2023-7"])
def test_bad_periods(bad):
    with pytest.raises(PeriodError):
        granularity(bad)


def test_ranges_fill_every_period():
    assert period_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert period_range("2023-Q4", "2024-Q1") == ["2023-Q4", "2024-Q1"]
    assert period_range("2020-W52", "2021-W01") == ["2020-W52", "2020-W53", "2021-W01"]
    assert period_range("2019", "2021") == ["2019", "2020", "2021"]
    with pytest.raises(PeriodError):
        period_range("2020", "2020-01")


def test_period_of_and_end():
    assert period_of(dt.date(2021, 1, 3), "week") == "2020-W53"
    assert period_of(dt.date(2024, 2, 29), "quarter") == "2024-Q1"
    assert period_end("2024-02") == dt.date(2024, 2, 29)
