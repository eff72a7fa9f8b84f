"""Caption editor: hashtags and mentions highlighted, TikTok's UTF-16 count beside it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import (
    QFont,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from tiktok_desktop.domain.compose import MAX_CAPTION_UNITS, caption_units, highlight_spans
from tiktok_desktop.ui.tones import Tone, set_tone


class _Highlighter(QSyntaxHighlighter):
    """#hashtags and @mentions in the palette's link colour (readable light or dark)."""

    def __init__(self, document: QTextDocument, palette: QPalette) -> None:
        super().__init__(document)
        self.tag = QTextCharFormat()
        self.mention = QTextCharFormat()
        for fmt in (self.tag, self.mention):
            fmt.setFontWeight(QFont.Weight.DemiBold)
        self.set_palette(palette)

    def set_palette(self, palette: QPalette) -> None:
        self.tag.setForeground(palette.color(QPalette.ColorRole.Link))
        self.mention.setForeground(palette.color(QPalette.ColorRole.Link))
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for start, length, kind in highlight_spans(text):
            # Qt counts UTF-16 units; spans are str indices: convert for text before emoji.
            q_start = caption_units(text[:start]) or start
            q_len = caption_units(text[start:start + length]) or length
            self.setFormat(q_start, q_len, self.tag if kind == "#" else self.mention)


class CaptionEdit(QWidget):
    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText("Describe your video. #hashtags and @mentions work.")
        self.edit.setTabChangesFocus(True)
        # A fixed height (about six lines; it scrolls beyond): a caption growing or the form
        # changing below it never moves the controls.
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 6 + 12)
        self.highlighter = _Highlighter(self.edit.document(), self.edit.palette())
        self.counter = QLabel()
        self.counter.setObjectName("captionCounter")
        layout.addWidget(self.edit)
        # The counter's line also holds tools for the caption (the composer's "Insert").
        self.tools = QHBoxLayout()
        self.tools.setContentsMargins(0, 0, 0, 0)
        self.tools.addWidget(self.counter, 1)
        layout.addLayout(self.tools)
        self.edit.textChanged.connect(self._changed)
        self._changed()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_palette(self.edit.palette())

    def text(self) -> str:
        return self.edit.toPlainText()

    def setText(self, text: str) -> None:
        self.edit.setPlainText(text)

    def cursor(self) -> int:
        """Where the cursor is, as an index into text() (Qt counts UTF-16 units)."""
        units = self.edit.textCursor().position()
        return len(self.text().encode("utf-16-le")[:units * 2].decode("utf-16-le", "ignore"))

    def replace_all(self, text: str, cursor: int) -> None:
        """New text with the cursor at ``cursor`` (an index into it), undoable in one step."""
        edit_cursor = self.edit.textCursor()
        edit_cursor.beginEditBlock()
        edit_cursor.select(QTextCursor.SelectionType.Document)
        edit_cursor.insertText(text)
        edit_cursor.endEditBlock()
        edit_cursor.setPosition(len(text[:cursor].encode("utf-16-le")) // 2)
        self.edit.setTextCursor(edit_cursor)

    def _changed(self) -> None:
        text = self.text()
        units = caption_units(text)
        shown = "?" if units is None else f"{units:,}"
        over = units is None or units > MAX_CAPTION_UNITS
        self.counter.setText(f"{shown} / {MAX_CAPTION_UNITS:,}")
        set_tone(self.counter, Tone.ERROR if over else Tone.MUTED)
        self.changed.emit(text)
