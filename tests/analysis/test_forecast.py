"""Forecasts on hand-made series: a planted trend lands inside its intervals, seasonality is kept."""
import numpy as np
import pandas as pd
import pytest

from analysis.forecast import ForecastError, forecast_counts, forecast_values, future_periods, policy_activity_forecast


def table(rows):
    return pd.DataFrame(rows, columns=["series", "period", "count"])


def test_planted_trend_is_forecast_inside_its_interval():
    """Twenty noisy linear trends: the truth of the 3 held-out years falls inside the intervals about as
    often as their level says, and the forecasts follow the trend (far better than the last value)."""
    years = list(range(2000, 2024))
    inside80 = inside95 = points = 0
    err_model = err_naive = 0.0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        slope = rng.uniform(5, 20)
        truth = [100 + slope * i for i in range(len(years))]
        noisy = [max(0, int(round(t + rng.normal(0, 6)))) for t in truth]
        train = table([(f"tech:t{seed}", str(y), c) for y, c in zip(years[:-3], noisy[:-3])])
        (fc,) = forecast_counts(train, horizon=3)
        assert [r["period"] for r in fc.rows()] == ["2021", "2022", "2023"]
        for row, actual in zip(fc.rows(), truth[-3:]):
            assert row["lower_95"] <= row["lower_80"] <= row["mean"] <= row["upper_80"] <= row["upper_95"]
            inside80 += row["lower_80"] <= actual <= row["upper_80"]
            inside95 += row["lower_95"] <= actual <= row["upper_95"]
            err_model += abs(row["mean"] - actual)
            err_naive += abs(noisy[-4] - actual)
            points += 1
    assert 0.65 <= inside80 / points <= 1.0, inside80 / points
    assert inside95 / points >= 0.8, inside95 / points
    assert err_model < 0.5 * err_naive


def test_monthly_seasonality_is_followed():
    rows = []
    for i in range(72):
        rows.append(("s", f"{2018 + i // 12}-{i % 12 + 1:02d}", 50 + (30 if i % 12 == 5 else 0) + (i % 3)))
    (fc,) = forecast_counts(table(rows), horizon=12)
    june = [r for r in fc.rows() if r["period"] == "2024-06"][0]
    may = [r for r in fc.rows() if r["period"] == "2024-05"][0]
    assert june["mean"] > may["mean"] + 15


def test_missing_periods_are_zero_and_bounds_never_negative():
    rows = [("s", str(y), c) for y, c in [(2010, 3), (2011, 0), (2013, 1), (2014, 0), (2015, 2), (2016, 0),
                                          (2017, 1), (2018, 0), (2019, 0)]]
    (fc,) = forecast_counts(table(rows), horizon=2)
    for r in fc.rows():
        assert min(r["mean"], r["lower_80"], r["lower_95"]) >= 0


def test_short_and_flat_series_still_get_a_forecast():
    model, fc, _ = forecast_values(np.array([4.0, 4.0, 4.0]), 2, "year")
    assert list(fc["mean"]) == [4.0, 4.0]
    model, fc, _ = forecast_values(np.array([5.0]), 1, "quarter")
    assert fc["mean"][0] == 5.0


def test_future_periods_follow_the_granularity():
    assert future_periods("2024-Q4", 2) == ["2025-Q1", "2025-Q2"]
    assert future_periods("2024-12", 1) == ["2025-01"]
    assert future_periods("2024-W52", 2) == ["2025-W01", "2025-W02"]


def test_horizon_must_be_positive():
    with pytest.raises(ForecastError, match="horizon"):
        forecast_counts(table([("s", "2020", 1)]), horizon=0)


def test_policy_activity_forecast_takes_field_by_country_policy_series():
    rows = [(k, str(y), 2 + (y - 2015)) for y in range(2015, 2025)
            for k in ("field:semi|policy:US", "field:semi|policy:CN", "tech:semi.memory|policy:US", "field:semi")]
    got = {f.series for f in policy_activity_forecast(table(rows), horizon=1)}
    assert got == {"field:semi|policy:US", "field:semi|policy:CN"}
