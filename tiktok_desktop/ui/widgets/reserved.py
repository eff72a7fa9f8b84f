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
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


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

    def _fit(self) -> None:
        """Show as many items as fit in the reserved lines; say how many more there are."""
        items = self._items
        width = max(1, self.contentsRect().width())
        room = self.contentsRect().height()
        for shown in range(len(items), -1, -1):
            lines = [self.bullet + i for i in items[:shown]]
            if shown < len(items):
                lines.append(f"…and {len(items) - shown} more (point here to read them all)")
            text = "\n".join(lines)
            needed = self.fontMetrics().boundingRect(
                QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, text).height()
            if needed <= room or shown == 0:
                super().setText(text)
                return
