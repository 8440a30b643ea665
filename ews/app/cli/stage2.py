"""The stage-2 commands: forecast, risk, issues, report (analysis/, seed 001 l.1509-1515)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ews.app.cli._app import app, err, fail, report_bad

MAX_HORIZON = 120


@app.command()
def forecast(input: Annotated[Optional[Path], typer.Option("--input", help="CSV with series,period,count (as ews detect)")] = None,
             horizon: Annotated[int, typer.Option("--horizon", help="periods ahead")] = 3,
             output: Annotated[Path, typer.Option("--output", help="forecasts, JSON Lines")] = Path("forecast.jsonl"),
             policy: Annotated[bool, typer.Option("--policy", help="policy activity per field x country from the store")] = False,
             skip_bad: Annotated[bool, typer.Option("--skip-bad")] = False) -> None:
    """Forecast count series with 80 % and 95 % intervals, the model chosen per series by rolling origin."""
    from analysis.forecast import ForecastError, forecast_counts, policy_activity_forecast
    from ews.kernel.periods import PeriodError
    from ews.kernel.records import InputError, read_count_csv, write_jsonl_atomic

    if not 1 <= horizon <= MAX_HORIZON:
        fail(f"--horizon must be between 1 and {MAX_HORIZON}, got {horizon}")
    if input is None and not policy:
        fail("give --input SERIES.csv, or --policy to forecast the stored policy activity")
    if input is not None:
        try:
            df, bad = read_count_csv(input)
        except (InputError, PeriodError) as e:
            fail(str(e))
        report_bad(bad, skip_bad, "rows")
    else:
        from ews.kernel.store import Store

        with Store.from_settings() as store:
            df = store.read_counts()
    try:
        forecasts = policy_activity_forecast(df, horizon) if policy else forecast_counts(df, horizon)
    except ForecastError as e:
        fail(str(e))
    try:
        n = write_jsonl_atomic(output, [row for f in forecasts for row in f.rows()])
    except InputError as e:
        fail(str(e))
    err.print(f"{len(forecasts)} series, horizon {horizon} → {n} forecasts in {output}", highlight=False)
