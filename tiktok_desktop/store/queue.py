"""Queue slots: recurring weekly posting times per account."""

from __future__ import annotations

from dataclasses import dataclass

from tiktok_desktop.store.backend import Backend

__all__ = ["QueueRepo", "Slot"]


@dataclass(frozen=True, order=True)
class Slot:
    weekday: int  # Monday = 0, as datetime.weekday()
    minute: int  # minutes after local midnight

    @property
    def label(self) -> str:
        day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[self.weekday]
        return f"{day} {self.minute // 60:02d}:{self.minute % 60:02d}"


class QueueRepo:
    def __init__(self, db: Backend) -> None:
        self.db = db

    def slots(self, account_id: int) -> tuple[str, list[Slot]]:
        """(zone, slots sorted by week time); zone "" = the app's zone."""
        rows = self.db.conn().execute(
            "SELECT weekday, minute, zone FROM queue_slots WHERE account_id = ? "
            "ORDER BY weekday, minute", (account_id,)).fetchall()
        zone = rows[0]["zone"] if rows else ""
        return zone, [Slot(r["weekday"], r["minute"]) for r in rows]

    def set_slots(self, account_id: int, slots: list[Slot], zone: str = "") -> None:
        """Replace the account's slots in one transaction."""
        for slot in slots:
            if not (0 <= slot.weekday <= 6 and 0 <= slot.minute < 1440):
                raise ValueError(f"not a weekly time: {slot}")
        with self.db.transaction() as c:
            # Two writers replacing one account's slots: the second waits for the first.
            self.db.dialect.serialize(c, f"queue_slots:{account_id}")
            c.execute("DELETE FROM queue_slots WHERE account_id = ?", (account_id,))
            c.executemany(
                "INSERT INTO queue_slots (account_id, weekday, minute, zone) VALUES (?, ?, ?, ?)",
                [(account_id, s.weekday, s.minute, zone) for s in sorted(set(slots))])
