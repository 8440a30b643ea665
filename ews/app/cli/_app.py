"""The `ews` command object and what every command module shares: the consoles, `fail`, `report_bad`."""
from __future__ import annotations

import sys

import typer
from rich.console import Console
from typer.core import TyperOption

_display_type_rich = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx) -> str | None:
    # typer >= 0.29 prints a type beside every option, so an on/off flag read as `--json <bool>`,
    # as if it took a value; a flag takes none, so its help shows no type
    return "" if self.is_flag and self.metavar is None else _display_type_rich(self, ctx)


TyperOption.display_type_rich = _flag_without_type

app = typer.Typer(help="Technology-security early-warning system.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
# piped output (CI logs, files) gets a wide fixed width so series keys are never cut
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

MAX_LISTED_BAD = 20


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings():
    """The settings of this command, built once at its start; bad configuration ends it with a clear message
    (never the value: it may hold a password)."""
    from ews.kernel.config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as e:
        fail(str(e))


def report_bad(bad, skip_bad: bool, what: str) -> None:
    """Name every bad record (up to a limit); stop unless told to skip them."""
    if not bad:
        return
    for b in bad[:MAX_LISTED_BAD]:
        err.print(str(b), highlight=False, soft_wrap=True, markup=False)
    if len(bad) > MAX_LISTED_BAD:
        err.print(f"… and {len(bad) - MAX_LISTED_BAD} more bad {what}", highlight=False)
    if not skip_bad:
        fail(f"{len(bad)} bad {what}; nothing written (use --skip-bad to skip them)")
    from collections import Counter

    damaged = [b for b in bad if b.problem.startswith("file damaged")]
    for b in damaged:
        err.print(f"warning: {b.path} is damaged after line {b.line - 1}: every record after it is lost "
                  "and not counted among the skipped", highlight=False, soft_wrap=True)
    kinds = Counter(b.problem.split(" (")[0].split(":")[0] for b in bad)
    err.print(f"skipped {len(bad)} bad {what}: " + ", ".join(f"{n} {k}" for k, n in kinds.most_common()),
              highlight=False)
