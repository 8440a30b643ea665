"""The demo sources: deterministic generated data with planted signals, served over real HTTP."""
import collections
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from crawlers.demo import DEMO_AS_OF, DEMO_WINDOW, DemoSite, data
from ews.kernel.schema import normalize_cpc
from ews.kernel.taxonomy import load_taxonomy


def _filing_month(p):
    return p["application"][0]["filing_date"][:7]


def test_generation_is_deterministic():
    first = json.dumps(data.patents())
    data.patents.cache_clear()
    assert json.dumps(data.patents()) == first
    assert 1300 <= len(data.patents()) <= 2100
    assert len(data.policy_releases()) == 36 and len(data.feed_items()) == 30


def test_demo_classes_are_real_taxonomy_symbols_and_half_are_outside_it():
    tax = load_taxonomy()
    symbols = {normalize_cpc(c) for f in tax.fields for t in f.technologies for c in t.cpc}
    for tech in data.TECHS:
        assert all(normalize_cpc(c) in symbols for c in tech.cpc), tech.id
    outside = sum(normalize_cpc(p["cpc_current"][0]["cpc_group_id"]) not in symbols for p in data.patents())
    assert 0.25 < outside / len(data.patents()) < 0.65


def test_planted_surge_drop_and_cutoff():
    samsung = collections.Counter(_filing_month(p) for p in data.patents()
                                  if p["assignees"][0]["assignee_organization"].startswith("Samsung Electronics")
                                  and p["cpc_current"][0]["cpc_group_id"][:4] in ("H10B", "G11C"))
    surge = sum(samsung[m] for m in ("2023-09", "2023-10", "2023-11")) / 3
    base = sum(samsung[m] for m in samsung if "2021-01" <= m <= "2023-06") / 30
    assert surge >= 3 * base
    li = collections.Counter(_filing_month(p) for p in data.patents() if p["cpc_current"][0]["cpc_group_id"] in
                             ("H01M10/0525", "H01M4/131", "H01M4/525"))
    drop = sum(li[m] for m in ("2022-03", "2022-04", "2022-05", "2022-06", "2022-07", "2022-08")) / 6
    assert drop <= 0.35 * sum(li[m] for m in li if "2020-01" <= m <= "2021-12") / 24
    assert all(dt.date.fromisoformat(p["patent_date"]) <= DEMO_AS_OF for p in data.patents())
    assert min(_filing_month(p) for p in data.patents()) == "2019-01"
    assert max(_filing_month(p) for p in data.patents()) == "2024-12"
    burst = collections.Counter(r.date.strftime("%Y-%m") for r in data.policy_releases() if r.tech == "quantum.computing")
    assert burst["2024-06"] == 8 and DEMO_AS_OF - dt.timedelta(days=548) > dt.date(2024, 6, 30)


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def test_patent_api_pages_by_cursor_and_filters_by_window():
    start, end = "2021-01-01", "2021-07-01"
    q = json.dumps({"_and": [{"_gte": {"patent_date": start}}, {"_lt": {"patent_date": end}}]})
    expected = sorted(p["patent_id"] for p in data.patents() if start <= p["patent_date"] < end)
    seen, after = [], None
    with DemoSite() as site:
        while True:
            o = {"size": 40, **({"after": after} if after else {})}
            url = f"{site.url}/patentsview/api/v1/patent/?" + urllib.parse.urlencode(
                {"q": q, "o": json.dumps(o), "s": json.dumps([{"patent_id": "asc"}]), "f": json.dumps(["patent_id"])})
            _, _, body = _get(url)
            page = json.loads(body)
            assert page["total_hits"] == len(expected) and all(set(p) == {"patent_id"} for p in page["patents"])
            seen += [p["patent_id"] for p in page["patents"]]
            if page["count"] < 40:
                break
            after = page["patents"][-1]["patent_id"]
        with pytest.raises(urllib.error.HTTPError) as e:
            _get(f"{site.url}/patentsview/api/v1/patent/?q=%7Bbroken")
        assert e.value.code == 400 and "not valid JSON" in e.value.headers["X-Status-Reason"]
    assert sorted(seen) == expected and len(set(seen)) == len(seen)


def test_korean_board_is_cp949_declared_only_in_meta_and_feed_supports_etag():
    with DemoSite() as site:
        status, headers, body = _get(f"{site.url}/kr/news/list.do?page=2")
        assert headers["Content-Type"] == "text/html" and b'charset=euc-kr' in body
        assert "보도자료" in body.decode("cp949")
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        with pytest.raises(urllib.error.HTTPError) as e:
            _get(f"{site.url}/kr/news/list.do?page=99")
        assert e.value.code == 404
        _, headers, feed = _get(f"{site.url}/feeds/thinktank.xml")
        req = urllib.request.Request(f"{site.url}/feeds/thinktank.xml", headers={"If-None-Match": headers["ETag"]})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 304
        assert _get(f"{site.url}/robots.txt")[2] == b"User-agent: *\nAllow: /\n"
    assert DEMO_WINDOW[0] <= min(r.date for r in data.policy_releases())
