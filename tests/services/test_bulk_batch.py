"""The bulk window's batch without Qt: edits re-check the rows they touch, facts arriving
mark rows, a stale background answer is dropped."""

from __future__ import annotations

from tiktok_desktop.services.bulk import AccountFacts, CellProblem, Column, ProbedVideo
from tiktok_desktop.services.bulk_batch import CHECKING_TIMES, BulkBatch
from tiktok_desktop.store import Account, AccountStatus, PostMode
from tiktok_desktop.tiktok import CreatorInfo

ACCOUNT = Account(id=1, open_id="o1", display_name="Me", username="me", avatar_url="",
                  granted_scopes=frozenset({"video.publish", "video.upload"}),
                  access_expires_at=None, refresh_expires_at=None,
                  status=AccountStatus.CONNECTED, creator_info=None, creator_info_at=None,
                  created_at=0, updated_at=0)
CREATOR = CreatorInfo(nickname="Me", username="me", avatar_url="",
                      privacy_level_options=("PUBLIC_TO_EVERYONE", "SELF_ONLY"),
                      comment_disabled=False, duet_disabled=True, stitch_disabled=False,
                      max_video_post_duration_sec=600)


def _video(path: str) -> ProbedVideo:
    return ProbedVideo(path, size=1000, duration_ms=3000,
                       meta={"container": "mp4", "format_name": "mp4", "video_codec": "h264",
                             "audio_codec": None, "duration_ms": 3000, "width": 360,
                             "height": 640, "fps": 30.0, "bitrate": 1000, "size_bytes": 1000})


def test_rows_wait_for_their_facts_then_show_the_composers_rules() -> None:
    batch = BulkBatch(["a.mp4", "b.mp4"], "Europe/Berlin", account_id=1)
    assert batch.counts() == (0, 0, 2)
    assert not batch.ready()
    batch.video_probed(_video("a.mp4"))
    batch.video_probed(ProbedVideo("b.mp4", error="b.mp4 is not a video."))
    batch.account_loaded(AccountFacts(ACCOUNT, CREATOR))
    assert batch.problems(0) == {Column.PRIVACY: "Choose who can view this video.",
                                 Column.WHEN: CHECKING_TIMES}
    assert batch.problems(1)[Column.FILE] == "b.mp4 is not a video."
    # Apply to selected: privacy for both, then Duet, which this creator turned off.
    batch.edit([0, 1], privacy_level="SELF_ONLY", allow_duet=True)
    assert Column.INTERACTIONS in batch.problems(0)
    batch.edit([0, 1], allow_duet=False)
    snap = batch.snapshot()
    assert batch.times_checked(snap, {0: (100, "Europe/Berlin"), 1: None},
                               [CellProblem(1, Column.WHEN, "late")])
    assert batch.problems(0) == {}
    assert batch.problems(1) == {Column.FILE: "b.mp4 is not a video.", Column.WHEN: "late"}
    assert batch.counts() == (1, 1, 0) and not batch.ready()
    batch.remove([1])
    assert not batch.ready()  # removing changed the batch: its times are checked again
    assert batch.times_checked(batch.snapshot(), {0: (100, "Europe/Berlin")}, [])
    assert batch.ready() and batch.time_of(0) == (100, "Europe/Berlin")


def test_a_stale_time_check_is_dropped_and_inbox_rows_drop_direct_only_settings() -> None:
    batch = BulkBatch(["a.mp4"], "UTC", account_id=1)
    batch.video_probed(_video("a.mp4"))
    batch.account_loaded(AccountFacts(ACCOUNT, CREATOR))
    old = batch.snapshot()
    batch.edit([0], privacy_level="PUBLIC_TO_EVERYONE", allow_comment=True, disclose=True,
               brand_organic=True)
    assert not batch.times_checked(old, {0: (1, "UTC")}, [])
    assert batch.problems(0) == {Column.WHEN: CHECKING_TIMES}
    batch.edit([0], mode=PostMode.INBOX)
    row = batch.rows[0]
    assert (row.privacy_level, row.allow_comment, row.disclose, row.brand_organic) == (
        None, False, False, False)


def test_a_csv_rows_reading_problems_stay_until_their_cell_is_edited() -> None:
    from tiktok_desktop.services.bulk import BulkRow

    rows = [BulkRow("a.mp4", 1, privacy_level="SELF_ONLY", due_at=5, due_tz="UTC")]
    batch = BulkBatch.from_rows(rows, "UTC", [{Column.ZONE: "Unknown time zone 'Mars'."}])
    batch.video_probed(_video("a.mp4"))
    batch.account_loaded(AccountFacts(ACCOUNT, CREATOR))
    assert batch.times_checked(batch.snapshot(), {0: (5, "UTC")},
                               [CellProblem(0, Column.WHEN, "passed")])
    assert batch.problems(0) == {Column.ZONE: "Unknown time zone 'Mars'."}
    batch.edit([0], caption="still there")
    assert Column.ZONE in batch.problems(0)
    batch.edit([0], due_at=10, due_tz="UTC")
    assert batch.problems(0) == {Column.WHEN: CHECKING_TIMES}
