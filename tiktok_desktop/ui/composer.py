"""The composer: one video, TikTok's post form (TIKTOK_API.md 7), and when it goes out.

What the form may offer comes from services.compose.evaluate(); this module only shows it.
Network and disk work (creator_info, probing, frames, copying into the library) run on the
TaskRunner, so the window never freezes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QDateTime, Qt, QTimeZone, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.domain import audit
from tiktok_desktop.domain.compose import FormState, PostForm, evaluate
from tiktok_desktop.services.schedule import ScheduleError, describe, resolve_local
from tiktok_desktop.store import Account, AccountStatus, NewPost, Post, PostMode
from tiktok_desktop.tiktok import CreatorInfo
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.widgets.caption import CaptionEdit
from tiktok_desktop.ui.widgets.preview import FrameLoader, VideoPreview

log = logging.getLogger(__name__)

NOW, AT, QUEUE = "now", "at", "queue"


@dataclass(frozen=True)
class VideoFacts:
    """What the composer needs to know about the file (from services.media)."""

    path: str
    size: int
    duration_ms: int
    meta: dict[str, object]
    problems: tuple[str, ...]  # against TikTok's fixed limits (not the creator's duration)
    warnings: tuple[str, ...] = ()  # limits TikTok has not confirmed: said, not enforced


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


class Composer(QDialog):
    posted = Signal(object)  # the stored Post

    def __init__(self, deps: ComposerDeps, runner: TaskRunner, video_path: str, *,
                 due_at: int | None = None, post: Post | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.deps, self.runner, self.editing = deps, runner, post
        self.video: VideoFacts | None = None
        self.video_error: str | None = None
        self.creator: CreatorInfo | None = None
        self.creator_problem: str | None = None
        self.state: FormState | None = None
        self._creator_for: int | None = None
        self.setWindowTitle("Edit post" if post else "New post")
        self.setMinimumWidth(860)
        outer = QHBoxLayout(self)
        self.preview = VideoPreview(runner)
        outer.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        outer.addLayout(right, 1)
        self._build_form(right)
        self._fill(video_path, due_at, post)

    # -- layout ------------------------------------------------------------------------------

    def _build_form(self, right: QVBoxLayout) -> None:
        form = QFormLayout()
        right.addLayout(form)
        self.account = QComboBox()
        self.account.setMinimumWidth(260)
        form.addRow("Post to:", self.account)
        self.creator_line = QLabel()
        self.creator_line.setWordWrap(True)
        form.addRow("", self.creator_line)
        # TikTok's cap around this post's time, and why new posts start as they do while the
        # TikTok app is unaudited (both worded in services/ and domain/).
        self.caps_line = QLabel()
        self.caps_line.setObjectName("capsLine")
        self.caps_line.setWordWrap(True)
        form.addRow("", self.caps_line)
        self.audit_line = QLabel()
        self.audit_line.setObjectName("auditLine")
        self.audit_line.setWordWrap(True)
        self.audit_line.setVisible(False)
        form.addRow("", self.audit_line)
        self.caption = CaptionEdit()
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
            hint.setStyleSheet("color: palette(mid);")
        self.label_line = QLabel()
        self.label_line.setWordWrap(True)
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
        self.at_edit = QDateTimeEdit()
        self.at_edit.setCalendarPopup(True)
        self.at_edit.setDisplayFormat("ddd d MMM yyyy, HH:mm")
        self.zone_label = QLabel(self.deps.zone_name)
        self.zone_label.setStyleSheet("color: palette(mid);")
        at_row.addWidget(self.when_at)
        at_row.addWidget(self.at_edit)
        at_row.addWidget(self.zone_label)
        at_row.addStretch(1)
        self.when_queue = QRadioButton("Add to queue")
        self.whens = QButtonGroup(self)
        for b in (self.when_now, self.when_at, self.when_queue):
            self.whens.addButton(b)
        wl.addWidget(self.when_now)
        wl.addLayout(at_row)
        wl.addWidget(self.when_queue)
        self.when_note = QLabel()
        self.when_note.setWordWrap(True)
        wl.addWidget(self.when_note)
        right.addWidget(when)

        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: palette(mid);")
        right.addWidget(self.notice)
        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c0213b;")
        right.addWidget(self.problems)
        self.declaration = QLabel()
        self.declaration.setObjectName("declaration")
        self.declaration.setWordWrap(True)
        self.declaration.setOpenExternalLinks(True)
        self.declaration.setTextFormat(Qt.TextFormat.RichText)
        right.addWidget(self.declaration)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.reject)
        self.publish = QPushButton("Schedule")
        self.publish.setDefault(True)
        self.publish.clicked.connect(self.submit)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.publish)
        right.addLayout(buttons)

    # -- filling -----------------------------------------------------------------------------

    def _fill(self, video_path: str, due_at: int | None, post: Post | None) -> None:
        for account in self.deps.accounts():
            if account.status is not AccountStatus.DISCONNECTED:
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
        self.at_edit.setDateTime(QDateTime.fromSecsSinceEpoch(start, self._qzone()))
        self.when_at.setChecked(True)
        self._wanted_privacy = post.privacy_level if post else None
        for signal in (self.account.currentIndexChanged,):
            signal.connect(self._account_changed)
        for box in (self.allow_comment, self.allow_duet, self.allow_stitch, self.disclose,
                    self.brand_organic, self.brand_content, self.aigc, self.direct, self.inbox,
                    self.when_now, self.when_at, self.when_queue):
            box.toggled.connect(self._update)
        self.privacy.currentIndexChanged.connect(self._update)
        self.at_edit.dateTimeChanged.connect(self._update)
        self.caption.changed.connect(self._update)
        self.runner.submit(lambda: self.deps.probe(video_path), self._probed,
                           self._probe_failed, owner=self)
        self._account_changed()

    def _account_index(self, account_id: int) -> int:
        for i in range(self.account.count()):
            if self.account.itemData(i).id == account_id:
                return i
        return -1

    def _qzone(self) -> QTimeZone:
        return QTimeZone(self.deps.zone_name.encode())

    def selected_account(self) -> Account | None:
        data = self.account.currentData()
        return data if isinstance(data, Account) else None

    def _probed(self, facts: VideoFacts) -> None:
        self.video = facts
        self.preview.set_video(facts.path, facts.duration_ms, self.deps.frame(facts.path),
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
            self.creator_problem = "Connect a TikTok account first (Accounts > Add account)."
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

    def _update(self) -> None:
        account = self.selected_account()
        form = self.form()
        state = evaluate(form, self.creator, creator_problem=self.creator_problem,
                         media_problems=self._media_problems(),
                         # Without an account the creator problem already says what to do.
                         direct_allowed=account is None
                         or "video.publish" in account.granted_scopes)
        self.state = state
        self._sync_privacy(state)
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
        self.notice.setText("\n".join((state.notice, *warnings)))
        self.declaration.setText(state.declaration_html)
        when_problem = self._when_problem()
        problems = list(state.problems) + ([when_problem] if when_problem else [])
        self.problems.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(bool(problems))
        self.publish.setEnabled(not problems)
        self.publish.setToolTip(problems[0] if problems else "")
        self._update_caps(account, form.mode, when_problem is None)
        self.publish.setText({NOW: "Post now", AT: "Schedule", QUEUE: "Add to queue"}[
            self._when()] if direct else {NOW: "Send now", AT: "Schedule",
                                          QUEUE: "Add to queue"}[self._when()])

    def _update_caps(self, account: Account | None, mode: PostMode, time_ok: bool) -> None:
        text = ""
        if account is not None and time_ok:
            try:
                at = self.due_at()
            except (ScheduleError, IndexError):
                at = int(self.deps.now())
            text = self.deps.caps_text(account.id, mode, at,
                                       self.editing.id if self.editing else None)
        self.caps_line.setText(text)
        self.caps_line.setVisible(bool(text))

    def _sync_privacy(self, state: FormState) -> None:
        current = self.privacy.currentData() if self.privacy.currentIndex() >= 0 \
            else self._wanted_privacy
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

    def _when(self) -> str:
        if self.when_now.isChecked():
            return NOW
        return QUEUE if self.when_queue.isChecked() else AT

    def _when_problem(self) -> str | None:
        problem = self._check_when()
        self.when_note.setVisible(bool(self.when_note.text()))
        return problem

    def _check_when(self) -> str | None:
        self.when_note.setText("")
        account = self.selected_account()
        when = self._when()
        if when == AT:
            try:
                resolved = resolve_local(self._at_wall(), self.deps.zone_name)
            except ScheduleError as exc:
                return str(exc)
            self.when_note.setText(resolved.note)
            if resolved.epoch < self.deps.now() - 60:
                return "That time has already passed: pick a later time, or choose Post now."
        elif when == QUEUE and account is not None:
            times = self.deps.queue_times(account.id)
            if not times:
                return ("This account has no queue times yet: set them under Accounts > "
                        "Queue times, or pick a time.")
            next_time = describe(times[0], self.deps.zone_name)
            self.when_note.setText(f"Next free queue time: {next_time}")
        return None

    def _at_wall(self) -> dt.datetime:
        d, t = self.at_edit.date(), self.at_edit.time()
        return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())

    # -- submit ------------------------------------------------------------------------------

    def due_at(self) -> int:
        when = self._when()
        if when == NOW:
            return int(self.deps.now())
        account = self.selected_account()
        if when == QUEUE and account is not None:
            return self.deps.queue_times(account.id)[0]
        return resolve_local(self._at_wall(), self.deps.zone_name).epoch

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
            mode=form.mode, due_at=self.due_at(), due_tz=self.deps.zone_name,
            consent_at=int(self.deps.now()),  # the click on Post/Schedule is the consent
        )

    def submit(self) -> None:
        if not self.publish.isEnabled():
            return
        try:
            new = self.new_post()
        except ScheduleError as exc:
            self.problems.setText(f"• {exc}")
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
        self.problems.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(True)
        self._update_buttons_after_refusal(problems)

    def _update_buttons_after_refusal(self, problems: list[str]) -> None:
        self._update()
        self.problems.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(True)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

