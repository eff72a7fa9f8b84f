"""Text colours that read in light and dark palettes: muted, error and success text.

Colours come from the palette the widget is shown with, never from fixed greys: a grey that
reads on a light window is nearly invisible on a dark one (Qt's Mid role, which the form used
for its notes, is a dark colour in dark palettes). A toned label follows palette changes, so
switching the system to a dark theme while the app runs keeps it readable.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["Tone", "blend", "grid_colour", "is_dark", "set_tone", "tone_colour"]


class Tone(enum.Enum):
    NORMAL = "normal"
    MUTED = "muted"  # notes and hints: quieter than the text, still easy to read
    ERROR = "error"  # what stops the user
    OK = "ok"  # a check that passed


_ERROR = {False: QColor("#b3261e"), True: QColor("#ff8a80")}  # light palette / dark palette
_OK = {False: QColor("#116329"), True: QColor("#6fdc8c")}
MUTED_SHARE = 0.62  # how much of the text colour a muted note keeps (the rest: background)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def blend(palette: QPalette, share: float) -> QColor:
    """``share`` of the palette's text colour over its base: a grey that reads on either."""
    return _mix(palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base),
                share)


def _mix(a: QColor, b: QColor, share: float) -> QColor:
    """``share`` of ``a`` over ``b``."""
    return QColor.fromRgbF(a.redF() * share + b.redF() * (1 - share),
                           a.greenF() * share + b.greenF() * (1 - share),
                           a.blueF() * share + b.blueF() * (1 - share))


def tone_colour(palette: QPalette, tone: Tone,
                role: QPalette.ColorRole = QPalette.ColorRole.WindowText) -> QColor:
    """The colour of ``tone`` on a widget painted with ``palette`` (text in ``role``)."""
    text = palette.color(role)
    if tone is Tone.ERROR:
        return QColor(_ERROR[is_dark(palette)])
    if tone is Tone.OK:
        return QColor(_OK[is_dark(palette)])
    if tone is Tone.MUTED:
        background = palette.color(QPalette.ColorRole.Base if role is QPalette.ColorRole.Text
                                   else QPalette.ColorRole.Window)
        return _mix(text, background, MUTED_SHARE)
    return text


def grid_colour(palette: QPalette) -> QColor:
    """Lines of a grid drawn on the Base colour (a calendar's hours and days): faint but
    visible in both palettes (Qt's Mid is the background's own colour in dark ones)."""
    return _mix(palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base),
                0.22)


class _Keeper(QObject):
    """Re-applies a widget's tone when its palette changes (e.g. the system went dark)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.tone = Tone.NORMAL
        self._applying = False

    def apply(self, widget: QWidget) -> None:
        self._applying = True
        try:
            inherited = widget.parentWidget().palette() if widget.parentWidget() \
                else QApplication.palette(widget)
            palette = QPalette(widget.palette())
            for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
                if self.tone is Tone.NORMAL:
                    palette.setColor(role, inherited.color(role))
                else:
                    palette.setColor(role, tone_colour(inherited, self.tone, role))
            widget.setPalette(palette)
        finally:
            self._applying = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.PaletteChange and not self._applying
                and isinstance(watched, QWidget)):
            self.apply(watched)
        return False


def set_tone(widget: QWidget, tone: Tone) -> None:
    """Show ``widget``'s text in ``tone``, now and after any palette change."""
    keeper = widget.findChild(_Keeper, "", Qt.FindChildOption.FindDirectChildrenOnly)
    if keeper is None:
        keeper = _Keeper(widget)
        widget.installEventFilter(keeper)
    keeper.tone = tone
    keeper.apply(widget)
