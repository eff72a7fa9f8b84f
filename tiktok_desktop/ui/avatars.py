"""Round account pictures for the lists, from the on-disk cache, with an initials fallback."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPixmap

from tiktok_desktop.services.avatars import AvatarCache
from tiktok_desktop.store import Account
from tiktok_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

SIZE = 36
# Muted colours for the initials fallback, picked by the account id so it stays stable.
_COLOURS = ("#5b6ee1", "#d9534f", "#2a9d8f", "#e76f51", "#8e6bbf", "#3a86ff", "#588157")


def _round(image: QImage, size: int, ratio: float) -> QPixmap:
    px = int(size * ratio)
    scaled = image.scaled(px, px, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                          Qt.TransformationMode.SmoothTransformation)
    out = QPixmap(px, px)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    clip = QPainterPath()
    clip.addEllipse(QRectF(0, 0, px, px))
    painter.setClipPath(clip)
    painter.drawImage((px - scaled.width()) // 2, (px - scaled.height()) // 2, scaled)
    painter.end()
    out.setDevicePixelRatio(ratio)
    return out


def initials_picture(account: Account, size: int = SIZE, ratio: float = 1.0) -> QPixmap:
    name = account.display_name or account.username or "?"
    letters = "".join(w[0] for w in name.split()[:2]).upper() or "?"
    digest = hashlib.sha256(account.open_id.encode("utf-8")).digest()
    px = int(size * ratio)
    out = QPixmap(px, px)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(_COLOURS[digest[0] % len(_COLOURS)]))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QRectF(0, 0, px, px))
    font = QFont()
    font.setPixelSize(int(px * 0.4))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, 0, px, px), Qt.AlignmentFlag.AlignCenter, letters)
    painter.end()
    out.setDevicePixelRatio(ratio)
    return out


class AccountPictures(QObject):
    """Pictures by account; downloads missing ones in the background and says when done."""

    changed = Signal()

    def __init__(self, cache: AvatarCache, runner: TaskRunner, ratio: float = 1.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.runner = runner
        self.ratio = ratio
        self._pictures: dict[tuple[str, float], QPixmap] = {}
        self._asked: set[tuple[str, str]] = set()

    def picture(self, account: Account) -> QPixmap:
        path = self.cache.cached(account.open_id)
        if path is None:
            return initials_picture(account, SIZE, self.ratio)
        key = (account.open_id, path.stat().st_mtime)
        if key not in self._pictures:
            image = QImage(str(path))
            if image.isNull():  # not a picture Qt can read: fall back, do not fail
                log.info("account picture unreadable; showing initials")
                return initials_picture(account, SIZE, self.ratio)
            self._pictures[key] = _round(image, SIZE, self.ratio)
        return self._pictures[key]

    def update(self, accounts: list[Account],
               on_done: Callable[[], None] | None = None) -> None:
        """Fetch pictures that are missing or came from an older link (once per link)."""
        for account in accounts:
            wanted = (account.open_id, account.avatar_url)
            if (not account.avatar_url or wanted in self._asked
                    or self.cache.is_current(account.open_id, account.avatar_url)):
                continue
            self._asked.add(wanted)
            open_id, url = wanted
            self.runner.submit(lambda o=open_id, u=url: self.cache.fetch(o, u),
                               lambda _path: self.changed.emit(),
                               lambda exc: log.info("picture fetch failed: %s", exc))
