"""A dark palette as desktops ship them (KDE's Breeze Dark colours), and contrast measured
on what a widget really paints."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

_DARK = {
    QPalette.ColorRole.Window: "#202326",
    QPalette.ColorRole.WindowText: "#fcfcfc",
    QPalette.ColorRole.Base: "#141618",
    QPalette.ColorRole.AlternateBase: "#1d1f22",
    QPalette.ColorRole.ToolTipBase: "#292c30",
    QPalette.ColorRole.ToolTipText: "#fcfcfc",
    QPalette.ColorRole.PlaceholderText: "#a1a9b1",
    QPalette.ColorRole.Text: "#fcfcfc",
    QPalette.ColorRole.Button: "#292c30",
    QPalette.ColorRole.ButtonText: "#fcfcfc",
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Light: "#40464c",
    QPalette.ColorRole.Midlight: "#33383c",
    QPalette.ColorRole.Dark: "#101214",
    QPalette.ColorRole.Mid: "#1d2023",  # what "palette(mid)" text used to be drawn in
    QPalette.ColorRole.Shadow: "#0c0d0e",
    QPalette.ColorRole.Highlight: "#3daee9",
    QPalette.ColorRole.HighlightedText: "#fcfcfc",
    QPalette.ColorRole.Link: "#1d99f3",
    QPalette.ColorRole.LinkVisited: "#9b59b6",
}
_DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#6e7175",
    QPalette.ColorRole.Text: "#65686a",
    QPalette.ColorRole.ButtonText: "#727679",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return palette


@contextmanager
def app_palette(name: str) -> Iterator[QPalette]:
    """Run with the style's own light palette or the dark one, then put the old one back."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QPalette(app.palette())
    palette = dark_palette() if name == "dark" else app.style().standardPalette()
    app.setPalette(palette)
    try:
        yield palette
    finally:
        app.setPalette(before)


def luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF()))


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def painted_contrast(widget: QWidget) -> float:
    """Contrast between a widget's background and its strongest text pixel, as painted."""
    image = widget.grab().toImage()
    counts: collections.Counter[int] = collections.Counter(
        image.pixel(x, y) for y in range(image.height()) for x in range(image.width()))
    assert len(counts) > 1, "nothing painted on it"
    background = QColor.fromRgb(counts.most_common(1)[0][0])
    return max(contrast(QColor.fromRgb(p), background) for p in counts)
