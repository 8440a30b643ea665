"""Progress of long work, the one home: a rich progress bar on a terminal, plain lines otherwise.

A command makes one `Progress` for its stderr console (`Progress.for_console`); an Airflow task one that
writes to its log (`Progress.to_log`); code called without one gets `Progress.silent()`. Each stage opens a
`Task` (`progress.task("classify", total=n)`) and advances it as its batches finish. On a terminal every
task is a row of one live display; otherwise a task writes a plain line (`what: done/total unit`) at most
every `interval` seconds or `every` items, and always one when it finishes, so CI and Airflow logs show
what ran, how much and how long without a carriage-return animation. Progress never goes to standard
output: `--json` output and the printed summaries stay as they were.

Domains report through plain callbacks (`crawlers.crawl.crawl_sources(progress=...)`,
`ews.kernel.members.update_counts(progress=...)`), never by importing this module.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # DAG files import the pipeline, and with it this module, at parse time: keep it light
    from rich.console import Console

PLAIN_INTERVAL_S = 10.0  # seconds between two plain lines of one task


class Task:
    """One unit of long work: `advance`/`update` as it goes, `finish` (or leave the `with` block) when done."""

    def __init__(self, owner: Progress, what: str, total: int | None, unit: str, every: int | None):
        self.owner, self.what, self.total, self.unit, self.every = owner, what, total, unit, every
        self.sized = total is not None  # a total known up front is shown ("done/total"), else the count alone
        self.done, self.finished, self.note = 0, False, ""
        self.started = self.last_line = time.monotonic()
        self.last_done = 0
        self.bar_id = owner._add_bar(self)

    def __enter__(self) -> Task:
        return self

    def __exit__(self, exc_type, *_) -> None:
        self.finish(stopped=exc_type.__name__ if exc_type is not None else None)

    def counted(self) -> str:
        total = f"/{self.total:,}" if self.sized and self.total is not None else ""
        return f"{self.done:,}{total} {self.unit}" + (f" ({self.note})" if self.note else "")

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def update(self, done: int, total: int | None = None, note: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total, self.sized = total, True
        if note is not None:
            self.note = note
        if self.owner.bar is not None:
            self.owner._show(self)
            return
        now = time.monotonic()
        due = (self.every is not None and done - self.last_done >= self.every) or (
            self.every is None and now - self.last_line >= self.owner.interval)
        if due:
            self.owner.write(f"{self.what}: {self.counted()}")
            self.last_line, self.last_done = now, done

    def finish(self, note: str | None = None, stopped: str | None = None) -> None:
        """Done (`stopped`: the name of the error that ended the work before it was)."""
        if self.finished:
            return
        self.finished = True
        if note is not None:
            self.note = note
        if stopped is not None:
            self.note = "; ".join(x for x in (self.note, f"stopped by {stopped}") if x)
        if self.total is None or (self.done > self.total and stopped is None):
            self.total = self.done
        if self.owner.bar is not None:
            self.owner._show(self)
        elif self.owner.final_lines:
            ended = "stopped after" if stopped else "done in"
            self.owner.write(f"{self.what}: {self.counted()}, {ended} {time.monotonic() - self.started:.1f} s")


class Progress:
    """The progress of one command or task. `write` takes plain lines; `console`, when it is a terminal,
    gets live bars instead."""

    def __init__(self, write: Callable[[str], None] | None = None, console: Console | None = None,
                 interval: float = PLAIN_INTERVAL_S, final_lines: bool = True, transient: bool = False):
        self.write = write or (lambda line: None)
        self.interval, self.final_lines, self.bar = interval, final_lines, None
        if console is not None and console.is_terminal:
            from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bars

            self.bar = Bars(SpinnerColumn(finished_text="✓"), TextColumn("{task.description}"), BarColumn(),
                            TextColumn("{task.fields[counted]}"), TimeElapsedColumn(), console=console,
                            transient=transient)

    @classmethod
    def for_console(cls, console: Console, **kw) -> Progress:
        """Bars when `console` is a terminal, else plain lines printed to it (without markup)."""
        return cls(lambda line: console.print(line, markup=False, highlight=False, soft_wrap=True), console, **kw)

    @classmethod
    def to_log(cls, log: logging.Logger | None = None, **kw) -> Progress:
        """Plain lines at INFO in `log` (an Airflow task's log)."""
        log = log or logging.getLogger("ews.progress")
        return cls(lambda line: log.info("%s", line), **kw)

    @classmethod
    def silent(cls) -> Progress:
        return cls(final_lines=False)

    def task(self, what: str, total: int | None = None, unit: str = "documents", every: int | None = None) -> Task:
        """A new task; `every`: a plain line every so many items (instead of every `interval` seconds)."""
        return Task(self, what, total, unit, every)

    def _add_bar(self, task: Task):
        if self.bar is None:
            return None
        if not self.bar.live.is_started:
            self.bar.start()
        return self.bar.add_task(task.what, total=task.total, counted=task.counted())

    def _show(self, task: Task) -> None:
        self.bar.update(task.bar_id, completed=task.done, total=task.total, counted=task.counted())
        if task.finished:
            self.bar.stop_task(task.bar_id)

    def close(self) -> None:
        if self.bar is not None and self.bar.live.is_started:
            self.bar.stop()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
