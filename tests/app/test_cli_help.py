"""Every command and option explains itself, and an on/off flag reads as a flag."""
import typer.main
from typer.testing import CliRunner

from ews.app.cli import app


def _commands(group, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def test_every_option_has_help_text():
    group = typer.main.get_command(app)
    missing = [f"ews {' '.join(path)} {p.opts[0]}" for path, cmd in _commands(group)
               for p in cmd.params if p.param_type_name == "option" and not (p.help or "").strip()]
    assert missing == []


def test_every_command_has_a_summary():
    group = typer.main.get_command(app)
    assert [" ".join(path) for path, cmd in _commands(group) if not (cmd.help or "").strip()] == []


def test_flags_show_no_value_type():
    group = typer.main.get_command(app)
    runner = CliRunner()
    for path, _cmd in _commands(group):
        out = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"}).output
        assert "<bool>" not in out, f"ews {' '.join(path)} --help shows a flag as taking a value:\n{out}"
