"""Driving the `ews` command in tests: in-process (fast) or as the real installed process."""
import subprocess
import sys


def ews(*args):
    """In-process, as typer runs it: same argument parsing, exit codes and stderr as the installed command."""
    from typer.testing import CliRunner

    from ews.app.cli import app

    r = CliRunner().invoke(app, list(args))
    # an exception other than a clean exit is what a user would see as a traceback
    crashed = r.exception is not None and not isinstance(r.exception, SystemExit)
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout,
                                       r.stderr + ("Traceback: " + repr(r.exception) if crashed else ""))


def ews_process(*args):
    return subprocess.run([sys.executable, "-m", "ews.app.cli", *args], capture_output=True, text=True)
