"""Builds what the composer calls from the app's services (kept apart from the widget)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from tiktok_desktop.config import Settings
from tiktok_desktop.services import media
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.snippets import SnippetsService
from tiktok_desktop.services.standing import Standing
from tiktok_desktop.store import Account, DatabaseUnreachable, NewPost, Post, PostMode
from tiktok_desktop.store.video_refs import is_video_ref
from tiktok_desktop.ui.composer import ComposerDeps, VideoFacts
from tiktok_desktop.ui.snippets_ui import SnippetsDialog
from tiktok_desktop.ui.widgets.preview import BOX, FrameLoader

log = logging.getLogger(__name__)

_DURATION_CODES = frozenset({"too_long"})
NOT_SAVED = ("Not saved: the shared schedule cannot be reached right now. What you typed stays "
             "here; save again once it is back (the main window says when).")
QUEUE_UNKNOWN = ("The queue's next free time cannot be read now: the shared schedule cannot be "
                 "reached. Pick a time, or wait until it is back.")
VIDEO_UNKNOWN = ("The video cannot be shown now: it is kept in the shared schedule, which "
                 "cannot be reached. What you typed stays here; close and open the post again "
                 "once it is back (the main window says when).")
CAPS_UNKNOWN = ("TikTok's limits for this account are not shown now: the shared schedule "
                "cannot be reached.")


def probe(path: str) -> VideoFacts:
    info = media.probe(path)  # MediaError carries the plain message
    found = media.validate(info, None)
    blocking = tuple(p.message for p in found if p.blocking and p.code not in _DURATION_CODES)
    warnings = tuple(p.message for p in found if not p.blocking)
    return VideoFacts(path=info.path, size=info.size_bytes, duration_ms=info.duration_ms,
                      meta=info.to_meta(), problems=blocking, warnings=warnings)


def duration_problems(facts: VideoFacts, limit: int | None) -> tuple[str, ...]:
    info = media.MediaInfo.from_meta(facts.path, dict(facts.meta))
    return tuple(p.message for p in media.validate(info, limit)
                 if p.code in _DURATION_CODES and p.blocking)


def post_video_probe(local_video: Callable[[str], str],
                     read_only: Callable[[], str]) -> Callable[[str], VideoFacts]:
    """probe of a post's video_path: a shared schedule's reference is probed in its local
    copy (fetched on the worker thread: the facts' local_file) and stays the facts' path, so
    saving keeps it."""
    def probe_video(path: str) -> VideoFacts:
        if is_video_ref(path) and read_only():  # said at once, not after a timeout
            raise DatabaseUnreachable(VIDEO_UNKNOWN)
        local = local_video(path)
        facts = probe(local)
        return facts if local == path else dataclasses.replace(facts, path=path,
                                                               local_file=local)

    return probe_video


def frame_loader(path: str) -> FrameLoader:
    def load(ms: int) -> QImage | None:
        frame = media.frame_at(path, ms, max(BOX.width(), BOX.height()))
        image = QImage(frame.data, frame.width, frame.height, frame.bytes_per_line,
                       QImage.Format.Format_RGB888)
        return image.copy()  # detach from the bytes, which Python may free

    return load


def make_deps(accounts: AccountsService, posts: PostsService, settings: Settings,
              picture: Callable[[Account], object], zone_name: str,
              standing: Standing | None = None,
              snippets: SnippetsService | None = None,
              read_only: Callable[[], str] = lambda: "",
              local_video: Callable[[str], str] = lambda path: path) -> ComposerDeps:
    """``read_only``: why the database cannot be reached now ("" while it can; a shared
    schedule's server away, ui/read_only.py): the form then reads nothing from it on the GUI
    thread, and its save says that it could not be kept. ``local_video``: a post's video_path
    as a local file (AppFacts.local_video; blocking, called on the worker thread)."""
    def submit(new: NewPost, editing: Post | None) -> Post:
        if read_only():  # said at once, not after the connection's timeout
            raise DatabaseUnreachable(NOT_SAVED)
        return posts.schedule_video(new, keep_copy=settings.keep_video_copy,
                                    editing=editing.id if editing else None)

    def queue_times(account_id: int) -> list[int]:
        if read_only():
            raise DatabaseUnreachable(QUEUE_UNKNOWN)
        return posts.next_queue_times(account_id, 1, zone_name)

    def caps_text(account_id: int, mode: PostMode, at: int, editing: int | None) -> str:
        if standing is None:
            return ""
        if not read_only():
            try:
                return standing.composer_text(account_id, mode, at, editing)
            except DatabaseUnreachable:  # gone before the window noticed
                pass
        return CAPS_UNKNOWN

    return ComposerDeps(
        accounts=accounts.list_accounts,
        creator_info=accounts.fresh_creator_info,
        probe=post_video_probe(local_video, read_only),
        duration_problems=duration_problems,
        frame=frame_loader,
        picture=picture,
        zone_name=zone_name,
        queue_times=queue_times,
        submit=submit,
        now=posts.clock,
        caps_text=caps_text,
        unaudited=(lambda: standing.unaudited_since() is not None) if standing
        else lambda: False,
        snippets=snippets.for_account if snippets is not None else None,
        edit_snippets=(lambda parent, account_id: _edit_snippets(
            snippets, accounts, parent, account_id)) if snippets is not None
        else lambda _p, _a: None,
    )


def _edit_snippets(snippets: SnippetsService, accounts: AccountsService, parent: QWidget,
                   account_id: int | None) -> None:
    dialog = SnippetsDialog(snippets, accounts.list_accounts(), account_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
