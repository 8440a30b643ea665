"""The `ews` command: the project's public face (see the README and docs/cli-contract.md).

Each command group is a module of this package that registers its commands on the one `app`;
importing it here is what puts its commands on the command line.
"""
from ews.app.cli import alerts, core, ingest, stage2, users  # noqa: F401
from ews.app.cli._app import app

__all__ = ["app"]
