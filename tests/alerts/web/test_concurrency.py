"""Concurrent clients on a real server: no server errors, and exactly one review wins per alert version."""
from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest
from workbench_server import LiveServer

from alerts.web import create_app

CLIENTS = 20
ROUNDS = 4

pytestmark = pytest.mark.integration


def test_twenty_clients_no_server_errors_one_winner_per_version(seeded):
    aid = seeded["alerts"]["tech:semi.memory"]
    tokens = [seeded["tokens"][n] for n in ("ana", "anton")]
    statuses: Counter = Counter()
    winners: list[Counter] = [Counter() for _ in range(ROUNDS)]
    lock = threading.Lock()
    with LiveServer(create_app()) as srv:
        pages = ["/", "/queue", f"/alerts/{aid}", "/fields/semi", "/api/alerts", "/search?q=memory"]
        for rnd in range(ROUNDS):
            with httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {tokens[0]}"}) as c:
                version = c.get(f"/api/alerts/{aid}").json()["version"]
            start = threading.Barrier(CLIENTS, timeout=60)

            def client(i: int, rnd=rnd, version=version, barrier=start) -> None:
                h = {"Authorization": f"Bearer {tokens[i % 2]}"}
                with httpx.Client(base_url=srv.url, headers=h, timeout=60) as c:
                    codes = [c.get(pages[(i + k) % len(pages)]).status_code for k in range(3)]
                    barrier.wait()
                    r = c.post(f"/api/alerts/{aid}/review", json={"version": version, "note": f"client {i}"})
                    codes.append(r.status_code)
                with lock:
                    statuses.update(codes)
                    winners[rnd][r.status_code] += 1

            threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
    assert not [s for s in statuses if s >= 500], statuses
    for rnd in winners:
        assert rnd[200] == 1 and rnd[409] == CLIENTS - 1, winners
    print(f"{sum(statuses.values())} requests from {CLIENTS} clients: {dict(statuses)}")
