"""The composer: one video, TikTok's post form (TIKTOK_API.md 7), and when it goes out.

What the form may offer comes from services.compose.evaluate(); this module only shows it.
Network and disk work (creator_info, probing, frames, copying into the library) run on the
TaskRunner, so the window never freezes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.domain import audit
from tiktok_desktop.domain.compose import FormState, PostForm, evaluate
from tiktok_desktop.services.posts import video_name
from tiktok_desktop.services.schedule import ScheduleError, describe, resolve_local
from tiktok_desktop.services.schedule_views import file_name
from tiktok_desktop.services.snippets import insert_snippet
from tiktok_desktop.store import Account, AccountStatus, NewPost, Post, PostMode, StoreError
from tiktok_desktop.store.snippets import Snippet
from tiktok_desktop.tiktok import CreatorInfo
from tiktok_desktop.ui.screen_fit import FRAME, available, fit_on_screen
from tiktok_desktop.ui.snippets_ui import SnippetButton
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.titles import window_title
from tiktok_desktop.ui.tones import Tone, set_tone
from tiktok_desktop.ui.widgets.caption import CaptionEdit
from tiktok_desktop.ui.widgets.preview import FrameLoader, VideoPreview
from tiktok_desktop.ui.widgets.reserved import ReservedLabel
from tiktok_desktop.ui.widgets.when import WhenEdit

log = logging.getLogger(__name__)

NOW, AT, QUEUE = "now", "at", "queue"
FORM_WIDTH = 840  # room for the preview and a caption line, where the screen has it
# The main button's words: posting directly or to the inbox, then when.
PUBLISH_TEXT = {True: {NOW: "Post now", AT: "Schedule", QUEUE: "Add to queue"},
                False: {NOW: "Send now", AT: "Schedule", QUEUE: "Add to queue"}}
PUBLISH_TEXTS = {t for texts in PUBLISH_TEXT.values() for t in texts.values()} | {"Saving…"}


@dataclass(frozen=True)
class VideoFacts:
    """What the composer needs to know about the file (from services.media)."""

    path: str
    size: int
    duration_ms: int
    meta: dict[str, object]
    problems: tuple[str, ...]  # against TikTok's fixed limits (not the creator's duration)
    warnings: tuple[str, ...] = ()  # limits TikTok has not confirmed: said, not enforced
    # The file to look at (preview, play) when ``path`` is a shared schedule's reference,
    # which is what the post keeps: its copy fetched into this computer's cache.
    local_file: str = ""

    @property
    def file(self) -> str:
        return self.local_file or self.path


@dataclass(frozen=True)
class ComposerDeps:
    """What the composer calls; blocking functions run on the TaskRunner."""

    accounts: Callable[[], list[Account]]
    creator_info: Callable[[int], CreatorInfo]  # fresh, raises with TikTok's reason
    probe: Callable[[str], VideoFacts]  # raises with a plain message
    duration_problems: Callable[[VideoFacts, int | None], tuple[str, ...]]
    frame: Callable[[str], FrameLoader]
    picture: Callable[[Account], object]  # QPixmap for the account picker
    zone_name: str  # IANA zone times are entered and shown in
    queue_times: Callable[[int], list[int]]  # next free slot epochs for an account
    submit: Callable[[NewPost, Post | None], Post]  # stores it; raises ScheduleRefused
    now: Callable[[], float]
    # (account id, mode, due time, post being edited) -> how full TikTok's cap is, in words.
    caps_text: Callable[[int, PostMode, int, int | None], str] = lambda *_a: ""
    # Has TikTok said the TikTok app is unaudited? (then new posts start from what works)
    unaudited: Callable[[], bool] = lambda: False
    # The account's caption templates and hashtag sets, and the editor for them.
    snippets: Callable[[int], list[Snippet]] | None = None
    edit_snippets: Callable[[QWidget, int | None], None] = lambda _parent, _account: None


class Composer(QDialog):
    posted = Signal(object)  # the stored Post

    def __init__(self, deps: ComposerDeps, runner: TaskRunner, video_path: str, *,
                 due_at: int | None = None, post: Post | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.deps, self.runner, self.editing = deps, runner, post
        self.video_path = video_path
        self._leaving = False  # set once the user chose to discard (or the app closes it)
        self.discard_question: QMessageBox | None = None
        self.video: VideoFacts | None = None
        self.video_error: str | None = None
        self.creator: CreatorInfo | None = None
        self.creator_problem: str | None = None
        self.state: FormState | None = None
        self._creator_for: int | None = None
        # An edit keeps the zone the post was scheduled in (as Reschedule does); a new post
        # takes the zone Settings shows times in.
        self.zone_name = post.due_tz if post is not None and post.due_tz else deps.zone_name
        # Titled by the video: several composers open at once are told apart in the taskbar.
        self.setWindowTitle(window_title(video_name(post) if post else file_name(video_path),
                                         "Edit post" if post else "New post"))
        # The form scrolls only on a screen too small for it (e.g. 960x540 at a scale of 2);
        # what the post's consent and the buttons need stays below it, always in view.
        self.content = QWidget()
        outer = QHBoxLayout(self.content)
        outer.setContentsMargins(0, 0, 0, 0)
        self.preview = VideoPreview(runner)
        outer.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        outer.addLayout(right, 1)
        self._build_form(right)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        self._build_bottom(layout)
        self.content.installEventFilter(self)
        self._fill(video_path, due_at, post)

    # -- layout ------------------------------------------------------------------------------

    def _build_form(self, right: QVBoxLayout) -> None:
        form = QFormLayout()
        right.addLayout(form)
        self.account = QComboBox()
        self.account.setMinimumWidth(260)
        form.addRow("Post to:", self.account)
        self.creator_line = QLabel()
        # One line, always there (empty, "Checking…", "Posting as …"): the form stays put.
        self.creator_line.setFixedHeight(self.fontMetrics().lineSpacing() + 4)
        form.addRow("", self.creator_line)
        # TikTok's cap around this post's time, and why new posts start as they do while the
        # TikTok app is unaudited (both worded in services/ and domain/).
        # Its room is kept whether it says something or not: the form must not jump.
        self.caps_line = ReservedLabel(2)
        self.caps_line.setObjectName("capsLine")
        form.addRow("", self.caps_line)
        self.audit_line = QLabel()
        self.audit_line.setObjectName("auditLine")
        self.audit_line.setWordWrap(True)
        self.audit_line.setVisible(False)
        form.addRow("", self.audit_line)
        self.caption = CaptionEdit()
        if self.deps.snippets is not None:
            self.insert_button = SnippetButton(
                self.deps.snippets, lambda: a.id if (a := self.selected_account()) else None,
                self.insert_snippet,
                lambda: self.deps.edit_snippets(self, (a := self.selected_account()) and a.id))
            self.caption.tools.addWidget(self.insert_button)
        form.addRow("Caption:", self.caption)
        self.privacy = QComboBox()
        self.privacy.setPlaceholderText("Choose who can view this video")
        form.addRow("Who can view:", self.privacy)
        row = QHBoxLayout()
        self.allow_comment = QCheckBox("Allow comments")
        self.allow_duet = QCheckBox("Allow Duet")
        self.allow_stitch = QCheckBox("Allow Stitch")
        for box in (self.allow_comment, self.allow_duet, self.allow_stitch):
            row.addWidget(box)
        row.addStretch(1)
        form.addRow("Interactions:", row)

        self.disclose = QCheckBox("Disclose video content")
        self.disclose.setToolTip("Turn on if this video promotes yourself, a brand, a product "
                                 "or a service.")
        disclosure = QVBoxLayout()
        disclosure.addWidget(self.disclose)
        self.disclosure_box = QFrame()
        inner = QVBoxLayout(self.disclosure_box)
        inner.setContentsMargins(22, 0, 0, 0)
        self.brand_organic = QCheckBox("Your brand")
        brand_hint = QLabel("You are promoting yourself or your own business. The video will "
                            "be labeled as 'Promotional content'.")
        self.brand_content = QCheckBox("Branded content")
        branded_hint = QLabel("You are promoting another brand or a third party. The video "
                              "will be labeled as 'Paid partnership'.")
        for hint in (brand_hint, branded_hint):
            hint.setWordWrap(True)
            set_tone(hint, Tone.MUTED)
        self.label_line = QLabel()
        self.label_line.setWordWrap(True)
        _keep_room(self.label_line)
        for w in (self.brand_organic, brand_hint, self.brand_content, branded_hint,
                  self.label_line):
            inner.addWidget(w)
        disclosure.addWidget(self.disclosure_box)
        form.addRow("Disclosure:", disclosure)
        self.aigc = QCheckBox("AI-generated content")
        self.aigc.setToolTip("TikTok labels the post 'Creator labeled as AI-generated'.")
        form.addRow("", self.aigc)

        mode_row = QHBoxLayout()
        self.direct = QRadioButton("Post directly")
        self.inbox = QRadioButton("Send to TikTok inbox")
        self.direct.setChecked(True)
        self.modes = QButtonGroup(self)
        self.modes.addButton(self.direct)
        self.modes.addButton(self.inbox)
        self._mode_chosen = False  # the user clicked a mode: defaults no longer move it
        self.modes.buttonClicked.connect(lambda _b: setattr(self, "_mode_chosen", True))
        mode_row.addWidget(self.direct)
        mode_row.addWidget(self.inbox)
        mode_row.addStretch(1)
        form.addRow("How:", mode_row)

        when = QGroupBox("When")
        wl = QVBoxLayout(when)
        self.when_now = QRadioButton("Post now")
        at_row = QHBoxLayout()
        self.when_at = QRadioButton("At")
        self.at_edit = WhenEdit(self.zone_name)
        at_row.addWidget(self.when_at)
        at_row.addWidget(self.at_edit, 1)
        self.when_queue = QRadioButton("Add to queue")
        self.whens = QButtonGroup(self)
        for b in (self.when_now, self.when_at, self.when_queue):
            self.whens.addButton(b)
        wl.addWidget(self.when_now)
        wl.addLayout(at_row)
        wl.addWidget(self.when_queue)
        # Notes about the time (a DST change, another zone, the next queue time): room for
        # two lines always, so choosing a time does not move the form.
        self.when_note = ReservedLabel(2)
        self.when_note.setObjectName("whenNote")
        set_tone(self.when_note, Tone.MUTED)
        wl.addWidget(self.when_note)
        right.addWidget(when)

        # The notice and the problems change as the user works: fixed room for each, so no
        # control moves under the mouse (everything said is in their tooltips). The problems
        # sit by the button they keep disabled.
        self.notice = ReservedLabel(3)
        self.notice.setObjectName("notice")
        set_tone(self.notice, Tone.MUTED)
        right.addWidget(self.notice)
        right.addStretch(1)  # spare height goes here: the controls above stay where they are

    def _build_bottom(self, bottom: QVBoxLayout) -> None:
        self.declaration = QLabel()
        self.declaration.setObjectName("declaration")
        self.declaration.setWordWrap(True)
        self.declaration.setOpenExternalLinks(True)
        self.declaration.setTextFormat(Qt.TextFormat.RichText)
        bottom.addWidget(self.declaration)
        self.problems = ReservedLabel(2, bullet="• ")
        self.problems.setObjectName("problems")
        set_tone(self.problems, Tone.ERROR)
        bottom.addWidget(self.problems)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.reject)
        self.publish = QPushButton("Schedule")
        self.publish.setDefault(True)
        # As wide as its longest text: "Schedule" becoming "Add to queue" moves nothing.
        self.publish.setMinimumWidth(max(
            self.publish.fontMetrics().horizontalAdvance(t) for t in PUBLISH_TEXTS)
            + self.publish.sizeHint().width()
            - self.publish.fontMetrics().horizontalAdvance("Schedule"))
        self.publish.clicked.connect(self.submit)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.publish)
        bottom.addLayout(buttons)

    def setVisible(self, visible: bool) -> None:
        if visible and not self.isVisible():
            self._fit_scroll()  # before Qt sizes the new window from its layout
        super().setVisible(visible)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        fit_on_screen(self)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.isVisible():
            fit_on_screen(self)  # grown for the disclosure choices: still all on screen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.content and event.type() == QEvent.Type.LayoutRequest:
            self._fit_scroll()  # e.g. the disclosure choices opened: room for them
        return super().eventFilter(watched, event)

    def _fit_scroll(self) -> None:
        """The whole form without scrolling where the screen has room for it; else as much
        as fits, and the form scrolls."""
        width = max(FORM_WIDTH, self.content.sizeHint().width())
        form = self.content.layout()
        # The height its wrapped texts need at that width (not at the narrowest one).
        wanted = QSize(width, form.totalHeightForWidth(width) if form.hasHeightForWidth()
                       else self.content.sizeHint().height())
        margins = self.layout().contentsMargins()
        bottom = self.layout().sizeHint().height() - self.scroll.sizeHint().height()
        room = available(self).size() - FRAME - QSize(
            margins.left() + margins.right(), bottom)
        bar = self.scroll.verticalScrollBar().sizeHint().width()
        fits = wanted.height() <= room.height()
        # Where it fits, no scroll bar at all: one that came and went while the form grew
        # would move every control by its width.
        policy = Qt.ScrollBarPolicy.ScrollBarAlwaysOff if fits \
            else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        self.scroll.setVerticalScrollBarPolicy(policy)
        self.scroll.setHorizontalScrollBarPolicy(policy)
        self.scroll.setMinimumSize(
            min(wanted.width() + (0 if fits else bar), room.width()),
            min(wanted.height(), room.height()))

    # -- filling -----------------------------------------------------------------------------

    def _fill(self, video_path: str, due_at: int | None, post: Post | None) -> None:
        for account in self.deps.accounts():
            # A disconnected account is offered only for the post that is on it already: an
            # edit must not move a post to another account behind the user's back.
            if account.status is not AccountStatus.DISCONNECTED or (
                    post is not None and account.id == post.account_id):
                self.account.addItem(self.deps.picture(account), account.label, account)
        if post is not None:
            self.account.setCurrentIndex(max(0, self._account_index(post.account_id)))
            self.caption.setText(post.caption)
            self.allow_comment.setChecked(post.allow_comment)
            self.allow_duet.setChecked(post.allow_duet)
            self.allow_stitch.setChecked(post.allow_stitch)
            self.disclose.setChecked(post.disclose_commercial)
            self.brand_organic.setChecked(post.brand_organic)
            self.brand_content.setChecked(post.brand_content)
            self.aigc.setChecked(post.is_aigc)
            (self.inbox if post.mode is PostMode.INBOX else self.direct).setChecked(True)
            due_at = post.due_at
        start = due_at if due_at is not None else int(self.deps.now()) + 3600
        self.at_edit.set_epoch(start)
        self.when_at.setChecked(True)
        self._wanted_privacy = post.privacy_level if post else None
        for signal in (self.account.currentIndexChanged,):
            signal.connect(self._account_changed)
        for box in (self.allow_comment, self.allow_duet, self.allow_stitch, self.disclose,
                    self.brand_organic, self.brand_content, self.aigc, self.direct, self.inbox,
                    self.when_now, self.when_at, self.when_queue):
            box.toggled.connect(self._update)
        self.privacy.currentIndexChanged.connect(self._update)
        self.at_edit.changed.connect(self._update)
        self.caption.changed.connect(self._update)
        self.runner.submit(lambda: self.deps.probe(video_path), self._probed,
                           self._probe_failed, owner=self)
        self._account_changed()
        self._as_opened = self._snapshot()

    def _account_index(self, account_id: int) -> int:
        for i in range(self.account.count()):
            if self.account.itemData(i).id == account_id:
                return i
        return -1

    def selected_account(self) -> Account | None:
        data = self.account.currentData()
        return data if isinstance(data, Account) else None

    def insert_snippet(self, snippet: Snippet) -> None:
        """A template at the cursor, a hashtag set at the end (services.snippets)."""
        text, cursor = insert_snippet(self.caption.text(), self.caption.cursor(), snippet)
        self.caption.replace_all(text, cursor)
        self.caption.edit.setFocus()

    def _probed(self, facts: VideoFacts) -> None:
        self.video = facts
        self.preview.set_video(facts.file, facts.duration_ms, self.deps.frame(facts.file),
                               self.editing.cover_time_ms if self.editing else None)
        self._update()

    def _probe_failed(self, exc: BaseException) -> None:
        self.video_error = str(exc)
        self.preview.show_problem(str(exc))
        self._update()

    def _account_changed(self) -> None:
        account = self.selected_account()
        self.creator, self.creator_problem = None, None
        if account is None:
            self.creator_problem = "Connect a TikTok account first: Accounts → Add account…"
            self._update()
            return
        if account.status is not AccountStatus.CONNECTED:
            what = "was disconnected" if account.status is AccountStatus.DISCONNECTED \
                else "needs to be reconnected"
            self.creator_problem = (f"{account.label} {what}: reconnect it (select it, then "
                                    "Accounts → Reconnect), or choose another account.")
            self.creator_line.setText("")
            self._update()
            return
        self.direct.setEnabled("video.publish" in account.granted_scopes)
        self.inbox.setEnabled("video.upload" in account.granted_scopes)
        if not self.direct.isEnabled() and self.inbox.isEnabled():
            self.inbox.setChecked(True)
        self.creator_line.setText("Checking the account with TikTok…")
        self._creator_for = account.id
        account_id = account.id
        self.runner.submit(lambda: self.deps.creator_info(account_id),
                           lambda info: self._creator_loaded(account_id, info),
                           lambda exc: self._creator_failed(account_id, exc), owner=self)
        self._update()

    def _creator_loaded(self, account_id: int, info: CreatorInfo) -> None:
        if account_id != self._creator_for:
            return  # the user picked another account meanwhile
        self.creator = info
        name = info.nickname or info.username
        self.creator_line.setText(f"Posting as <b>{_html(name)}</b>"
                                  + (f" (@{_html(info.username)})" if info.username else ""))
        self._apply_audit_defaults(info)
        self._update()

    def _apply_audit_defaults(self, info: CreatorInfo) -> None:
        """While TikTok treats the TikTok app as unaudited, a new post starts from what TikTok
        takes from it ("Only me" on a private account, the inbox otherwise), said in one
        sentence; the user may still choose otherwise."""
        account = self.selected_account()
        if account is None or not self.deps.unaudited():
            self.audit_line.setVisible(False)
            return
        advice = audit.advice(info.privacy_level_options, account.granted_scopes)
        self.audit_line.setText(advice.sentence)
        self.audit_line.setVisible(True)
        if self.editing is not None:
            return  # an existing post keeps what the user chose
        if advice.privacy and self.privacy.currentIndex() < 0:
            self._wanted_privacy = advice.privacy  # taken when the choices are filled in
        if not self._mode_chosen:
            button = self.inbox if advice.mode is PostMode.INBOX else self.direct
            if button.isEnabled():
                button.setChecked(True)

    def _creator_failed(self, account_id: int, exc: BaseException) -> None:
        if account_id != self._creator_for:
            return
        self.creator_problem = f"TikTok says this account cannot post right now: {exc}"
        self.creator_line.setText("")
        self._update()

    # -- rules -------------------------------------------------------------------------------

    def form(self) -> PostForm:
        return PostForm(
            caption=self.caption.text(),
            privacy_level=self.privacy.currentData() if self.privacy.currentIndex() >= 0
            else None,
            allow_comment=self.allow_comment.isChecked() and self.allow_comment.isEnabled(),
            allow_duet=self.allow_duet.isChecked() and self.allow_duet.isEnabled(),
            allow_stitch=self.allow_stitch.isChecked() and self.allow_stitch.isEnabled(),
            disclose=self.disclose.isChecked(),
            brand_organic=self.brand_organic.isChecked(),
            brand_content=self.brand_content.isChecked(),
            is_aigc=self.aigc.isChecked(),
            mode=PostMode.INBOX if self.inbox.isChecked() else PostMode.DIRECT,
        )

    def _media_problems(self) -> tuple[str, ...]:
        if self.video_error:
            return (self.video_error,)
        if self.video is None:
            return ("Reading the video…",)
        limit = self.creator.max_video_post_duration_sec if self.creator else None
        return self.video.problems + self.deps.duration_problems(self.video, limit)

    def _evaluate(self) -> tuple[PostForm, FormState]:
        account = self.selected_account()
        form = self.form()
        return form, evaluate(form, self.creator, creator_problem=self.creator_problem,
                              media_problems=self._media_problems(),
                              # Without an account the creator problem already says what to do.
                              direct_allowed=account is None
                              or "video.publish" in account.granted_scopes)

    def _update(self) -> None:
        form, state = self._evaluate()
        if self._sync_privacy(state):
            # The choices arrived and the post's saved choice is shown now: judge that.
            form, state = self._evaluate()
        self.state = state
        for box, enabled, key in ((self.allow_comment, state.comment_enabled, "comment"),
                                  (self.allow_duet, state.duet_enabled, "duet"),
                                  (self.allow_stitch, state.stitch_enabled, "stitch")):
            box.setEnabled(enabled)
            if not enabled:
                box.setChecked(False)
            box.setToolTip(state.interaction_tooltips.get(key, ""))
        direct = form.mode is PostMode.DIRECT
        self.disclose.setEnabled(direct)
        self.disclosure_box.setVisible(form.disclose and direct)
        self.brand_organic.setEnabled(state.brand_organic_enabled)
        self.brand_content.setEnabled(state.brand_content_enabled)
        self.brand_content.setToolTip(state.brand_content_tooltip)
        self.label_line.setText(state.label_text)
        self.label_line.setVisible(bool(state.label_text))
        self.aigc.setEnabled(direct)
        warnings = self.video.warnings if self.video else ()
        self.notice.set_items((state.notice, *warnings))
        self.declaration.setText(state.declaration_html)
        when_problem = self._when_problem()
        problems = list(state.problems) + ([when_problem] if when_problem else [])
        self.problems.set_items(problems)
        self.publish.setEnabled(not problems)
        self.publish.setToolTip(problems[0] if problems else "")
        self._update_caps(self.selected_account(), form.mode, when_problem is None)
        self.publish.setText(PUBLISH_TEXT[direct][self._when()])

    def _update_caps(self, account: Account | None, mode: PostMode, time_ok: bool) -> None:
        text = ""
        if account is not None and time_ok:
            try:
                at = self.due_at()
            except (ScheduleError, IndexError):
                at = int(self.deps.now())
            text = self.deps.caps_text(account.id, mode, at,
                                       self.editing.id if self.editing else None)
        self.caps_line.set_items([text])

    def _sync_privacy(self, state: FormState) -> bool:
        """Offer the state's privacy choices; True when the chosen value changed."""
        before = self.privacy.currentData() if self.privacy.currentIndex() >= 0 else None
        current = before if before is not None else self._wanted_privacy
        values = [c.value for c in state.privacy_choices]
        if [self.privacy.itemData(i) for i in range(self.privacy.count())] != values:
            self.privacy.blockSignals(True)
            self.privacy.clear()
            for choice in state.privacy_choices:
                self.privacy.addItem(choice.label, choice.value)
            # No default (UX-05): only a choice the user made earlier is kept.
            self.privacy.setCurrentIndex(values.index(current) if current in values else -1)
            self.privacy.blockSignals(False)
        model = self.privacy.model()
        for i, choice in enumerate(state.privacy_choices):
            item = model.item(i) if hasattr(model, "item") else None
            if item is not None:
                item.setEnabled(choice.enabled)
                item.setToolTip(choice.tooltip)
        self.privacy.setEnabled(self.direct.isChecked() and bool(values))
        after = self.privacy.currentData() if self.privacy.currentIndex() >= 0 else None
        return after != before

    def _when(self) -> str:
        if self.when_now.isChecked():
            return NOW
        return QUEUE if self.when_queue.isChecked() else AT

    def _when_problem(self) -> str | None:
        notes: list[str] = []
        problem = self._check_when(notes)
        self.when_note.set_items(notes)
        return problem

    def _check_when(self, notes: list[str]) -> str | None:
        account = self.selected_account()
        when = self._when()
        if when == AT:
            try:
                # With now: a skipped time on a day already over says so (Samoa, 2011).
                resolved = resolve_local(self.at_edit.wall(), self.zone_name,
                                         now=self.deps.now())
            except ScheduleError as exc:
                return str(exc)
            notes.extend((resolved.note, self._other_zone(resolved.epoch)))
            if resolved.epoch < self.deps.now() - 60:
                return "That time has already passed: pick a later time, or choose Post now."
        elif when == QUEUE and account is not None:
            try:
                times = self.deps.queue_times(account.id)
            except StoreError as exc:  # a shared schedule out of reach: said, not a crash
                return str(exc)
            if not times:
                return ("This account has no queue times yet: set them with Accounts → "
                        "Queue times…, or pick a time.")
            next_time = describe(times[0], self.deps.zone_name)
            notes.append(f"Next free queue time: {next_time}")
        return None

    def _other_zone(self, epoch: int) -> str:
        """Where an edited post's zone is not the one the schedule shows, say both."""
        shown = self.deps.zone_name
        if self.zone_name == shown or not self.zone_name:
            return ""
        return (f"It was scheduled in {self.zone_name}; the schedule shows "
                f"{describe(epoch, shown)} ({shown or 'your time zone'}).")

    # -- submit ------------------------------------------------------------------------------

    def due_at(self) -> int:
        when = self._when()
        if when == NOW:
            return int(self.deps.now())
        account = self.selected_account()
        if when == QUEUE and account is not None:
            return self.deps.queue_times(account.id)[0]
        return resolve_local(self.at_edit.wall(), self.zone_name).epoch

    def new_post(self) -> NewPost:
        account, video, form = self.selected_account(), self.video, self.form()
        assert account is not None and video is not None
        direct = form.mode is PostMode.DIRECT
        return NewPost(
            account_id=account.id, video_path=video.path, video_size=video.size,
            video_meta=dict(video.meta), caption=form.caption,
            privacy_level=form.privacy_level if direct else None,
            allow_comment=form.allow_comment, allow_duet=form.allow_duet,
            allow_stitch=form.allow_stitch,
            disclose_commercial=form.disclose and direct,
            brand_organic=form.disclose and form.brand_organic and direct,
            brand_content=form.disclose and form.brand_content and direct,
            is_aigc=form.is_aigc and direct, cover_time_ms=self.preview.cover_ms(),
            mode=form.mode, due_at=self.due_at(), due_tz=self.zone_name,
            consent_at=int(self.deps.now()),  # the click on Post/Schedule is the consent
        )

    # -- leaving -----------------------------------------------------------------------------

    def _snapshot(self) -> tuple[object, ...]:
        """What the user can change, to tell whether they did."""
        privacy = self.privacy.currentData() if self.privacy.currentIndex() >= 0 \
            else self._wanted_privacy
        return (self.account.currentIndex(), self.caption.text(), privacy,
                *(box.isChecked() for box in (
                    self.allow_comment, self.allow_duet, self.allow_stitch, self.disclose,
                    self.brand_organic, self.brand_content, self.aigc, self.inbox)),
                self._when(), self.at_edit.wall(), self.preview.cover_ms())

    def has_changes(self) -> bool:
        return self._snapshot() != self._as_opened

    def reject(self) -> None:
        """Cancel, Esc or the window's close button: what was typed is not thrown away
        without asking."""
        if self._leaving or not self.has_changes():
            super().reject()
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Discard this post?")
        box.setText("Discard what you typed and chose for "
                    f"{self.windowTitle().split(' — ')[0]}?")
        box.setInformativeText("It is not saved anywhere yet." if self.editing is None
                               else "The post keeps what it had before you opened it.")
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _r: self._discard_answered(box.clickedButton() is discard))
        self.discard_question = box
        box.open()

    def _discard_answered(self, discard: bool) -> None:
        if discard:
            self._leaving = True
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not event.spontaneous():
            self._leaving = True  # closed by the app itself (it quits): nothing to ask
        super().closeEvent(event)

    def submit(self) -> None:
        if not self.publish.isEnabled():
            return
        try:
            new = self.new_post()
        except ScheduleError as exc:
            self.problems.set_items([str(exc)])
            return
        self.publish.setEnabled(False)
        self.publish.setText("Saving…")
        editing = self.editing
        self.runner.submit(lambda: self.deps.submit(new, editing), self._stored, self._refused,
                           owner=self)

    def _stored(self, post: Post) -> None:
        self.posted.emit(post)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        problems = getattr(exc, "problems", None) or [str(exc)]
        self._update()
        self.problems.set_items(problems)


def _keep_room(widget: QWidget) -> None:
    """Hidden, the widget still takes its room (the controls around it stay put)."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

