"""A label that keeps its height whatever it says, so the form around it does not jump.

Problems and notes come and go as the user works through a form; when their label grows and
shrinks, every control below (or above) it moves, and a click aimed at one lands on another.
A ReservedLabel always takes room for ``lines`` lines of text; what does not fit ends in
"…and 2 more", with every line in its tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QLayout, QSizePolicy, QWidget


class ReservedLabel(QLabel):
    def __init__(self, lines: int, *, bullet: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines = lines
        self.bullet = bullet
        self._items: list[str] = []
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._reserve()

    def _reserve(self) -> None:
        margins = self.contentsMargins()
        self.setFixedHeight(self.fontMetrics().lineSpacing() * self.lines
                            + margins.top() + margins.bottom())

    def items(self) -> list[str]:
        """Everything it has to say (shown or in the tooltip)."""
        return list(self._items)

    def set_items(self, items: Sequence[str]) -> None:
        self._items = [i for i in items if i]
        self.setToolTip("\n".join(self.bullet + i for i in self._items)
                        if self._items else "")
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._reserve()
            self._fit()

    def _fits(self, text: str) -> bool:
        width = max(1, self.contentsRect().width())
        needed = self.fontMetrics().boundingRect(
            QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, text).height()
        return needed <= self.contentsRect().height()

    def _fit(self) -> None:
        """Show as many items as fit in the reserved lines and say how many more there are;
        the first one is always shown, shortened if it must be."""
        items = [self.bullet + i for i in self._items]
        for shown in range(len(items), 0, -1):
            more = len(items) - shown
            lines = items[:shown] + ([f"…and {more} more (point here to read them all)"]
                                     if more else [])
            if self._fits("\n".join(lines)):
                super().setText("\n".join(lines))
                return
        if not items:
            super().setText("")
            return
        tail = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
        first = items[0]
        while first and not self._fits(first + "…" + tail):
            first = first[:max(0, len(first) - max(1, len(first) // 10))].rstrip()
        super().setText(first + "…" + tail)

def grow_to_fit(window: QWidget) -> None:
    """Make a dialog tall enough for its word-wrapped texts at its width, now: Qt sizes a
    window from its layout's minimum, which ignores height-for-width, so a message that wraps
    onto more lines squeezed (clipped) the fields around it."""
    layout = window.layout()
    if layout is None:
        return
    # A text changed inside a group box reaches the window's layout only once queued layout
    # requests ran: forget every cached size now instead.
    for child in window.findChildren(QWidget):
        child.updateGeometry()
    for inner in window.findChildren(QLayout):
        inner.invalidate()
    layout.invalidate()
    layout.activate()
    needed = (layout.totalHeightForWidth(window.width()) if layout.hasHeightForWidth()
              else layout.totalMinimumSize().height())
    if window.minimumHeight() < needed:
        window.setMinimumHeight(needed)
    if window.height() < needed:
        window.resize(window.width(), needed)

