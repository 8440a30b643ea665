"""The workbench lists and serves the reports folder (briefings, annual reports), nothing outside it."""


def test_reports_are_listed_and_served_and_nothing_else(ews_home, tmp_path, session_for, anon):
    reports = ews_home / "reports"
    (reports / "briefings" / "2024-11").mkdir(parents=True)
    (reports / "briefings" / "2024-11" / "briefing-battery-2024-11.html").write_text("<p>이차전지</p>", encoding="utf-8")
    (reports / "briefings" / "2024-11" / "briefing-battery-2024-11.pdf").write_bytes(b"%PDF-1.7 test")
    (reports / "notes.txt").write_text("not a report")
    (tmp_path / "secret.html").write_text("outside")
    assert anon.get("/reports", follow_redirects=False).status_code in (303, 401)  # signed-in users only
    c = session_for("vera")
    page = c.get("/reports")
    assert page.status_code == 200
    assert "briefings/2024-11/briefing-battery-2024-11.pdf" in page.text and "notes.txt" not in page.text
    pdf = c.get("/reports/briefings/2024-11/briefing-battery-2024-11.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    html = c.get("/reports/briefings/2024-11/briefing-battery-2024-11.html")
    assert "이차전지" in html.text
    for bad in ("notes.txt", "../../secret.html", "..%2F..%2Fsecret.html", "missing.pdf"):
        assert c.get(f"/reports/{bad}").status_code == 404, bad


def test_an_empty_reports_folder_says_so(session_for):
    assert "No reports yet" in session_for("vera").get("/reports").text
