"""The delivery log of notifications (`notify_deliveries` in the data directory's database): nothing sent twice.

A delivery is keyed by (channel, key), where the key names what was sent (one alert, or one digest
period). `claim` marks it as being sent inside a write transaction, so two runs at once never both
send it; `finish` records the outcome. A sent delivery is never claimed again; a failed one is
claimed again by the next run; a claim left by a run that died mid-send is taken over after
`STALE_CLAIM` (at most one duplicate, only after a crash).
"""
from __future__ import annotations

import datetime as dt

from ews.kernel.store import SideTable, immediate_transaction

STALE_CLAIM = dt.timedelta(hours=1)


class DeliveryLog(SideTable):
    def status(self, channel: str, key: str) -> str | None:
        row = self._conn.execute("SELECT status FROM notify_deliveries WHERE channel=? AND key=?",
                                 (channel, key)).fetchone()
        return row[0] if row else None

    def claim(self, channel: str, keys: list[str], now: dt.datetime | None = None) -> bool:
        """Mark every key as being sent on `channel`, unless one of them was sent or is being sent."""
        now = now or dt.datetime.now(dt.UTC)
        with immediate_transaction(self._conn) as c:
            for key in keys:
                row = c.execute("SELECT status, updated_at FROM notify_deliveries WHERE channel=? AND key=?",
                                (channel, key)).fetchone()
                if row is None or row[0] == "failed":
                    continue
                if row[0] == "sending" and now - dt.datetime.fromisoformat(row[1]) > STALE_CLAIM:
                    continue
                return False
            for key in keys:
                c.execute("INSERT INTO notify_deliveries VALUES (?,?,?,?,?,?) ON CONFLICT(channel, key) DO UPDATE "
                          "SET status='sending', updated_at=excluded.updated_at",
                          (channel, key, "sending", 0, now.isoformat(), ""))
        return True

    def finish(self, channel: str, keys: list[str], ok: bool, attempts: int, detail: str = "") -> None:
        now = dt.datetime.now(dt.UTC).isoformat()
        with immediate_transaction(self._conn) as c:
            for key in keys:
                c.execute("UPDATE notify_deliveries SET status=?, attempts=attempts+?, updated_at=?, detail=? "
                          "WHERE channel=? AND key=?", ("sent" if ok else "failed", attempts, now, detail[:2000],
                                                        channel, key))

    def rows(self) -> list[dict]:
        cur = self._conn.execute("SELECT channel, key, status, attempts, updated_at, detail FROM notify_deliveries "
                                 "ORDER BY channel, key")
        return [dict(zip(("channel", "key", "status", "attempts", "updated_at", "detail"), r)) for r in cur]
