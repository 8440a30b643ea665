"""The reports folder in the workbench: the run report, the briefings and the annual reports, listed and
served to any signed-in user; nothing outside the folder is ever served."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse

from alerts.web.auth import require
from alerts.web.users import User

REPORT_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf", ".md": "text/markdown; charset=utf-8",
                ".json": "application/json", ".png": "image/png"}

router = APIRouter(include_in_schema=False)
viewer = require("viewer")


def list_reports(reports_dir: Path) -> list[dict]:
    """The report files under the reports folder, newest first."""
    if not reports_dir.is_dir():
        return []
    files = [p for p in reports_dir.rglob("*") if p.is_file() and p.suffix in REPORT_TYPES
             and not p.name.startswith(".")]
    files.sort(key=lambda p: (-p.stat().st_mtime, str(p)))
    return [{"path": p.relative_to(reports_dir).as_posix(), "kind": p.suffix[1:], "size": p.stat().st_size,
             "modified": dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M")}
            for p in files]


@router.get("/reports")
def reports_page(request: Request, user: User = Depends(viewer)):
    from alerts.web.pages import render

    return render(request, "reports.html", files=list_reports(request.app.state.reports_dir))


@router.get("/reports/{path:path}")
def report_file(path: str, request: Request, user: User = Depends(viewer)) -> FileResponse:
    base = Path(request.app.state.reports_dir).resolve()
    target = (base / path).resolve()
    # a path that leaves the reports folder (.., absolute, symlink out) is not a report
    if not target.is_relative_to(base) or not target.is_file() or target.suffix not in REPORT_TYPES:
        raise HTTPException(404, f"no report {path}")
    # a report page is the project's own output, but it carries crawled text: no script runs from it here
    return FileResponse(target, media_type=REPORT_TYPES[target.suffix],
                        headers={"Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'"})
