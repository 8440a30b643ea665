"""Charts of the briefings as base64 PNG (matplotlib's object API: no pyplot state, no display)."""
from __future__ import annotations

import base64
import io

from ews.kernel.periods import to_period

PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#3d405b", "#e07a5f", "#6c757d"]


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=110)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _x(periods: list[str]):
    return [to_period(p).start_time for p in periods]


def trend_with_forecast(history: dict[str, tuple[list[str], list[float]]], forecasts: dict[str, list[dict]],
                        title: str, ylabel: str = "patents per period") -> str | None:
    """One line per series (labelled by its key), its forecast dashed with the 80 % and 95 % bands shaded."""
    from matplotlib.figure import Figure

    if not history:
        return None
    fig = Figure(figsize=(9, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    for i, (label, (periods, values)) in enumerate(history.items()):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(_x(periods), values, color=color, linewidth=1.6, label=label)
        rows = forecasts.get(label) or []
        if rows:
            xs = _x([periods[-1]] + [r["period"] for r in rows])
            last = values[-1]
            ax.plot(xs, [last] + [r["mean"] for r in rows], color=color, linestyle="--", linewidth=1.2)
            ax.fill_between(xs, [last] + [r["lower_95"] for r in rows], [last] + [r["upper_95"] for r in rows],
                            color=color, alpha=0.10, linewidth=0)
            ax.fill_between(xs, [last] + [r["lower_80"] for r in rows], [last] + [r["upper_80"] for r in rows],
                            color=color, alpha=0.22, linewidth=0)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="x-small", ncol=2)
    fig.autofmt_xdate()
    return _png(fig)


def stacked_components(rows: list[dict], weights: dict[str, float], title: str) -> str | None:
    """Each technology's score as a horizontal bar split into its weighted components."""
    from matplotlib.figure import Figure

    if not rows:
        return None
    total = sum(weights.values()) or 1.0
    names = [k for k in weights if any(r["components"].get(k) for r in rows)]
    fig = Figure(figsize=(9, 0.45 * len(rows) + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    labels = [r["technology"] for r in rows][::-1]
    left = [0.0] * len(rows)
    for i, name in enumerate(names):
        widths = [weights[name] * r["components"].get(name, 0.0) / total for r in rows][::-1]
        ax.barh(labels, widths, left=left, color=PALETTE[i % len(PALETTE)], label=name)
        left = [a + b for a, b in zip(left, widths)]
    ax.set_xlim(0, max(max(left) * 1.15, 0.1))
    ax.set_xlabel("risk score (weighted components)")
    ax.set_title(title)
    ax.legend(fontsize="x-small", loc="lower right")
    return _png(fig)


def bars(values: dict[str, float], title: str, xlabel: str) -> str | None:
    from matplotlib.figure import Figure

    if not values:
        return None
    items = sorted(values.items(), key=lambda kv: -kv[1])[:12][::-1]
    fig = Figure(figsize=(6, 0.35 * len(items) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh([k for k, _ in items], [v for _, v in items], color=PALETTE[0])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return _png(fig)
