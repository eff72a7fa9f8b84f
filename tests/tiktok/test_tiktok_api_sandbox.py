"""The v2 API through the client against the running sandbox: every endpoint, every error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tiktok_support import Connect, FakeClock, RecordingSleeper

from tiktok_desktop.tiktok import (
    NO_RETRY,
    V2_ERRORS,
    AccessTokenInvalid,
    ChunkPlan,
    ChunkUploader,
    ClientCredentials,
    CreatorCannotPost,
    Endpoints,
    InvalidRequest,
    OAuthClient,
    PendingShareLimit,
    PostInfo,
    PrivacyLevelMismatch,
    PublishIdError,
    RateLimited,
    RetryPolicy,
    ScopeNotAuthorized,
    ServerError,
    TikTokApi,
    UnauditedClientPrivateOnly,
    plan_chunks,
)


def post(privacy: str = "PUBLIC_TO_EVERYONE", **extra: Any) -> PostInfo:
    flags = {"disable_comment": False, "disable_duet": False, "disable_stitch": False}
    return PostInfo(privacy_level=privacy, **{**flags, **extra})


SMALL = plan_chunks(1000)


# --- user info --------------------------------------------------------------------------


def test_user_info_basic_fields(connect: Connect, api: TikTokApi,
                                user: Callable[[str], Any]) -> None:
    tokens = connect()
    me = api.user_info(tokens.access_token)
    creator = user("sandbox_creator")
    assert (me.open_id, me.union_id, me.avatar_url) == (creator.open_id, creator.union_id,
                                                       creator.avatar_url)
    assert me.display_name == creator.nickname
    assert me.username is None and me.follower_count is None  # not requested


def test_user_info_profile_and_stats_fields(connect: Connect, api: TikTokApi,
                                            user: Callable[[str], Any]) -> None:
    tokens = connect()
    me = api.user_info(tokens.access_token, fields=["open_id", "username", "is_verified",
                                                    "bio_description", "follower_count",
                                                    "following_count", "likes_count",
                                                    "video_count"])
    creator = user("sandbox_creator")
    assert me.username == "sandbox_creator"
    assert me.is_verified is True
    assert me.bio_description == creator.bio_description
    assert (me.follower_count, me.following_count, me.likes_count) == (1234, 56, 7890)
    assert me.video_count == 0


def test_user_info_field_outside_granted_scopes(connect: Connect, api: TikTokApi) -> None:
    tokens = connect(grant=("user.info.basic", "video.upload"))
    with pytest.raises(ScopeNotAuthorized) as info:
        api.user_info(tokens.access_token, fields=["open_id", "username"])
    assert info.value.needs_reauth and info.value.http_status == 401


def test_user_info_unknown_field_is_invalid_params(connect: Connect, api: TikTokApi) -> None:
    with pytest.raises(InvalidRequest) as info:
        api.user_info(connect().access_token, fields=["open_id", "shoe_size"])
    assert info.value.code in ("invalid_params", "invalid_param")


def test_garbage_token(api: TikTokApi) -> None:
    with pytest.raises(AccessTokenInvalid):
        api.user_info("act.not-a-token")


# --- creator info -----------------------------------------------------------------------


def test_creator_info_public_account(connect: Connect, api: TikTokApi,
                                     user: Callable[[str], Any]) -> None:
    info = api.creator_info(connect().access_token)
    creator = user("sandbox_creator")
    assert (info.nickname, info.username, info.avatar_url) == (
        creator.nickname, "sandbox_creator", creator.avatar_url)
    assert set(info.privacy_level_options) == {"PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS",
                                               "SELF_ONLY"}
    assert not (info.comment_disabled or info.duet_disabled or info.stitch_disabled)
    assert info.max_video_post_duration_sec == 600
    assert type(info).from_dict(json.loads(json.dumps(info.to_dict()))) == info


def test_creator_info_private_account(connect: Connect, api: TikTokApi) -> None:
    info = api.creator_info(connect("sandbox_private").access_token)
    assert set(info.privacy_level_options) == {"FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS",
                                               "SELF_ONLY"}
    assert info.duet_disabled and info.stitch_disabled      # private account
    assert info.max_video_post_duration_sec == 180


def test_creator_info_follows_creator_settings(connect: Connect, api: TikTokApi,
                                               sandbox: Any) -> None:
    tokens = connect()
    quiet = api.creator_info(connect("sandbox_quiet").access_token)
    assert quiet.comment_disabled and quiet.duet_disabled and quiet.stitch_disabled
    sandbox.control.set_creator(tokens.open_id, comment_disabled=True,
                                max_video_post_duration_sec=300, is_private=True)
    info = api.creator_info(tokens.access_token)
    assert info.comment_disabled and info.max_video_post_duration_sec == 300
    assert "PUBLIC_TO_EVERYONE" not in info.privacy_level_options


@pytest.mark.parametrize("code", ["spam_risk_too_many_posts",
                                  "spam_risk_user_banned_from_posting",
                                  "reached_active_user_cap"])
def test_creator_cannot_post_arrives_with_http_200(connect: Connect, api: TikTokApi,
                                                   sandbox: Any, code: str,
                                                   sleeper: RecordingSleeper) -> None:
    tokens = connect()
    sandbox.control.set_creator(tokens.open_id, can_post=code)
    with pytest.raises(CreatorCannotPost) as info:
        api.creator_info(tokens.access_token)
    assert (info.value.code, info.value.http_status) == (code, 200)
    assert not info.value.retryable
    assert info.value.log_id
    assert sleeper.waits == []          # not retried


def test_limited_sandbox_user_cannot_post(connect: Connect, api: TikTokApi) -> None:
    with pytest.raises(CreatorCannotPost) as info:
        api.creator_info(connect("sandbox_limited").access_token)
    assert info.value.code == "spam_risk_too_many_posts"


def test_creator_info_needs_video_publish(connect: Connect, api: TikTokApi) -> None:
    tokens = connect(grant=("user.info.basic", "video.upload"))
    with pytest.raises(ScopeNotAuthorized):
        api.creator_info(tokens.access_token)


def test_creator_info_retries_5xx_through_the_sleeper(connect: Connect, api: TikTokApi,
                                                      sandbox: Any,
                                                      sleeper: RecordingSleeper) -> None:
    tokens = connect()
    sandbox.control.inject_fault("/v2/post/publish/creator_info/", "status", count=2,
                                 status=503)
    assert api.creator_info(tokens.access_token).username == "sandbox_creator"
    assert sleeper.waits == [5.0, 10.0]
    sandbox.control.inject_fault("/v2/post/publish/creator_info/", "status", count=3,
                                 status=500)
    with pytest.raises(ServerError):
        api.creator_info(tokens.access_token)


def test_creator_info_rate_limit_waits_out_the_window(connect: Connect, api: TikTokApi,
                                                      sleeper: RecordingSleeper) -> None:
    """20/min per token: the 21st call gets 429; the read retry waits (fake time) and wins."""
    tokens = connect()
    for _ in range(20):
        api.creator_info(tokens.access_token)
    with pytest.raises(RateLimited) as info:
        api.creator_info(tokens.access_token, retry=NO_RETRY)
    assert 0 < info.value.retry_after <= 60
    assert info.value.http_status == 429
    assert api.creator_info(tokens.access_token).username == "sandbox_creator"
    assert len(sleeper.waits) == 1 and sleeper.waits[0] > 0


# --- init ------------------------------------------------------------------------------


def test_direct_post_init(connect: Connect, api: TikTokApi, sandbox: Any) -> None:
    tokens = connect()
    info = post(title="Hello #sandbox @friend", video_cover_timestamp_ms=1500,
                brand_organic_toggle=True, is_aigc=True, disable_comment=True)
    plan = plan_chunks(70_000_000)
    ticket = api.init_direct_post(tokens.access_token, info, plan)
    assert ticket.publish_id.startswith("v_pub_file~")
    assert ticket.upload_url.startswith(sandbox.base_url + "/")
    assert ticket.upload_url not in repr(ticket)
    [published] = sandbox.control.publishes(tokens.open_id)
    assert published.publish_id == ticket.publish_id
    assert published.mode == "direct"
    assert published.video_size == 70_000_000
    assert published.post_info == info.to_json()


def test_inbox_init(connect: Connect, api: TikTokApi, sandbox: Any) -> None:
    tokens = connect()
    ticket = api.init_inbox_upload(tokens.access_token, SMALL)
    assert ticket.publish_id.startswith("v_inbox_file~")
    [published] = sandbox.control.publishes(tokens.open_id)
    assert published.mode == "inbox"


def test_init_needs_its_scope(connect: Connect, api: TikTokApi) -> None:
    upload_only = connect(grant=("user.info.basic", "video.upload"))
    with pytest.raises(ScopeNotAuthorized):
        api.init_direct_post(upload_only.access_token, post(), SMALL)
    publish_only = connect(grant=("user.info.basic", "video.publish"))
    with pytest.raises(ScopeNotAuthorized):
        api.init_inbox_upload(publish_only.access_token, SMALL)


def test_privacy_option_mismatch(connect: Connect, api: TikTokApi) -> None:
    tokens = connect("sandbox_private")
    with pytest.raises(PrivacyLevelMismatch) as info:
        api.init_direct_post(tokens.access_token, post("PUBLIC_TO_EVERYONE"), SMALL)
    assert info.value.http_status == 403 and not info.value.retryable


def test_unaudited_app_can_only_post_to_private_accounts(
        sandbox: Any, http: httpx.Client, endpoints: Endpoints, connect: Connect,
        clock: FakeClock, api: TikTokApi) -> None:
    app = sandbox.unaudited_app
    client = OAuthClient(http, ClientCredentials(app.client_key, app.client_secret), endpoints,
                         clock=clock)
    public = connect("sandbox_creator", client=client)
    with pytest.raises(UnauditedClientPrivateOnly) as info:
        api.init_direct_post(public.access_token, post("SELF_ONLY"), SMALL)
    assert str(info.value) == (
        "TikTok only lets unaudited apps post to private accounts: set the TikTok account to "
        "private or get the app audited.")
    private = connect("sandbox_private", client=client)
    assert api.init_direct_post(private.access_token, post("SELF_ONLY"), SMALL).publish_id


@pytest.mark.parametrize("sandbox_options", [{"daily_post_cap": 1}], indirect=True)
def test_daily_post_cap(connect: Connect, api: TikTokApi) -> None:
    tokens = connect()
    api.init_direct_post(tokens.access_token, post(), SMALL)
    with pytest.raises(CreatorCannotPost) as info:
        api.init_direct_post(tokens.access_token, post(), SMALL)
    assert (info.value.code, info.value.http_status) == ("spam_risk_too_many_posts", 403)
    with pytest.raises(CreatorCannotPost) as again:     # creator_info says so too, HTTP 200
        api.creator_info(tokens.access_token)
    assert again.value.http_status == 200


@pytest.mark.parametrize("sandbox_options", [{"pending_inbox_cap": 2}], indirect=True)
def test_pending_inbox_shares_cap(connect: Connect, api: TikTokApi) -> None:
    tokens = connect()
    for _ in range(2):
        api.init_inbox_upload(tokens.access_token, SMALL)
    with pytest.raises(PendingShareLimit) as info:
        api.init_inbox_upload(tokens.access_token, SMALL)
    assert info.value.code == "spam_risk_too_many_pending_share"
    assert "inbox" in str(info.value)


@pytest.mark.parametrize("plan", [
    ChunkPlan(100_000_000, 10_000_000, 3),     # count != floor(size / chunk)
    ChunkPlan(100_000_000, 100_000_000, 1),    # > 64 MB in one chunk
    ChunkPlan(30_000_000, 1_000_000, 30),      # chunks under 5 MB
])
def test_chunk_arithmetic_is_checked(connect: Connect, api: TikTokApi, plan: ChunkPlan) -> None:
    with pytest.raises(InvalidRequest) as info:
        api.init_direct_post(connect().access_token, post(), plan)
    assert info.value.code == "invalid_param" and info.value.http_status == 400


def test_init_is_rate_limited_and_not_retried(connect: Connect, api: TikTokApi,
                                              sleeper: RecordingSleeper) -> None:
    tokens = connect()
    for _ in range(6):
        api.init_direct_post(tokens.access_token, post("SELF_ONLY"), SMALL)
    with pytest.raises(RateLimited) as info:
        api.init_direct_post(tokens.access_token, post("SELF_ONLY"), SMALL)
    assert info.value.retry_after > 0
    assert sleeper.waits == []      # the engine schedules the retry; init never blocks


def test_inits_are_never_retried_on_5xx(connect: Connect, api: TikTokApi, sandbox: Any,
                                        sleeper: RecordingSleeper) -> None:
    tokens = connect()
    sandbox.control.inject_fault("/v2/post/publish/video/init/", "status", status=500,
                                 after=True)
    with pytest.raises(ServerError):
        api.init_direct_post(tokens.access_token, post(), SMALL)
    assert sleeper.waits == []
    # The init happened although the answer was lost: the app must not init again blindly.
    assert len(sandbox.control.publishes(tokens.open_id)) == 1


# --- status ------------------------------------------------------------------------------


def _publish(api: TikTokApi, uploader: ChunkUploader, token: str, video: Path,
             privacy: str = "PUBLIC_TO_EVERYONE", inbox: bool = False) -> str:
    plan = plan_chunks(video.stat().st_size)
    ticket = api.init_inbox_upload(token, plan) if inbox else \
        api.init_direct_post(token, post(privacy), plan)
    uploader.upload(ticket.upload_url, video, plan=plan)
    return ticket.publish_id


def test_status_direct_public_post_gets_ids_and_shows_in_video_list(
        connect: Connect, api: TikTokApi, uploader: ChunkUploader, clock: FakeClock,
        video_file: Callable[..., Path]) -> None:
    tokens = connect()
    init_only = api.init_direct_post(tokens.access_token, post(), SMALL)
    waiting = api.fetch_status(tokens.access_token, init_only.publish_id)
    assert waiting.status == "PROCESSING_UPLOAD" and waiting.uploaded_bytes == 0
    publish_id = _publish(api, uploader, tokens.access_token, video_file(2_000_000))
    processing = api.fetch_status(tokens.access_token, publish_id)
    assert processing.is_processing and processing.uploaded_bytes == 2_000_000
    assert processing.post_ids == ()
    clock.advance(600)
    done = api.fetch_status(tokens.access_token, publish_id)
    assert done.is_complete and not done.is_failed and done.error() is None
    assert len(done.post_ids) == 1 and done.post_ids[0].isdigit()
    post_id = done.post_ids[0]
    page = api.list_videos(tokens.access_token, max_count=20)
    assert [v.id for v in page.videos] == [post_id]
    assert page.has_more is False
    [video] = api.query_videos(tokens.access_token, [post_id],
                               fields=["id", "title", "share_url", "create_time", "duration"])
    assert video.id == post_id
    assert video.share_url and post_id in video.share_url
    assert video.create_time is not None


def test_video_list_pages_with_the_cursor(connect: Connect, api: TikTokApi,
                                          uploader: ChunkUploader, clock: FakeClock,
                                          clip: Path) -> None:
    tokens = connect()
    video = clip
    for _ in range(3):
        _publish(api, uploader, tokens.access_token, video)
        clock.advance(60)
    clock.advance(600)
    first = api.list_videos(tokens.access_token, max_count=2)
    assert len(first.videos) == 2 and first.has_more and first.cursor is not None
    second = api.list_videos(tokens.access_token, cursor=first.cursor, max_count=2)
    assert len(second.videos) == 1 and not second.has_more
    ids = [v.id for v in first.videos + second.videos]
    assert len(set(ids)) == 3


def test_status_self_only_post_gets_no_id(connect: Connect, api: TikTokApi,
                                          uploader: ChunkUploader, clock: FakeClock,
                                          clip: Path) -> None:
    tokens = connect()
    publish_id = _publish(api, uploader, tokens.access_token, clip, "SELF_ONLY")
    clock.advance(600)
    done = api.fetch_status(tokens.access_token, publish_id)
    assert done.is_complete and done.post_ids == ()


def test_status_inbox_upload(connect: Connect, api: TikTokApi, uploader: ChunkUploader,
                             clock: FakeClock, clip: Path) -> None:
    tokens = connect()
    publish_id = _publish(api, uploader, tokens.access_token, clip, inbox=True)
    clock.advance(600)
    assert api.fetch_status(tokens.access_token, publish_id).in_inbox


@pytest.mark.parametrize("reason", ["internal", "file_format_check_failed",
                                    "duration_check_failed", "frame_rate_check_failed",
                                    "picture_size_check_failed", "video_bitrate_check_failed",
                                    "spam_risk_too_many_posts",
                                    "spam_risk_user_banned_from_posting", "spam_risk_text",
                                    "spam_risk", "publish_cancelled", "video_pull_failed",
                                    "photo_pull_failed", "auth_removed"])
def test_status_failed_with_every_fail_reason(connect: Connect, api: TikTokApi,
                                              uploader: ChunkUploader, clock: FakeClock,
                                              sandbox: Any, reason: str,
                                              video_file: Callable[..., Path]) -> None:
    tokens = connect()
    sandbox.control.set_fail_reason(None, reason)
    publish_id = _publish(api, uploader, tokens.access_token, video_file(1000))
    clock.advance(600)
    status = api.fetch_status(tokens.access_token, publish_id)
    assert status.is_failed and status.fail_reason == reason
    error = status.error(publish_id)
    assert error is not None
    assert error.code == reason and error.publish_id == publish_id
    assert error.retryable is (reason in ("internal", "video_pull_failed",
                                          "photo_pull_failed"))
    assert error.needs_reauth is (reason == "auth_removed")


def test_revoke_mid_processing_ends_in_auth_removed(
        connect: Connect, api: TikTokApi, uploader: ChunkUploader, sandbox: Any,
        video_file: Callable[..., Path]) -> None:
    tokens = connect()
    publish_id = _publish(api, uploader, tokens.access_token, video_file(1000))
    sandbox.control.revoke_tokens(tokens.open_id)
    [info] = sandbox.control.publishes(tokens.open_id)
    assert (info.publish_id, info.status, info.fail_reason) == (publish_id, "FAILED",
                                                                "auth_removed")
    with pytest.raises(AccessTokenInvalid):
        api.fetch_status(tokens.access_token, publish_id)


def test_status_of_unknown_or_foreign_publish_id(connect: Connect, api: TikTokApi) -> None:
    mine = connect()
    other = connect("sandbox_private")
    ticket = api.init_direct_post(mine.access_token, post(), SMALL)
    with pytest.raises(PublishIdError) as unknown:
        api.fetch_status(mine.access_token, "v_pub_file~v2-1.000")
    assert unknown.value.code == "invalid_publish_id"
    with pytest.raises(PublishIdError) as foreign:
        api.fetch_status(other.access_token, ticket.publish_id)
    assert foreign.value.code == "token_not_authorized_for_specified_publish_id"


def test_status_retries_then_gives_up(connect: Connect, api: TikTokApi, sandbox: Any,
                                      sleeper: RecordingSleeper) -> None:
    tokens = connect()
    ticket = api.init_direct_post(tokens.access_token, post(), SMALL)
    sandbox.control.inject_fault("/v2/post/publish/status/fetch/", "rate_limit")
    sandbox.control.inject_fault("/v2/post/publish/status/fetch/", "status", status=502)
    assert api.fetch_status(tokens.access_token, ticket.publish_id).is_processing
    assert len(sleeper.waits) == 2
    sandbox.control.inject_fault("/v2/post/publish/status/fetch/", "status", count=2)
    with pytest.raises(ServerError):
        api.fetch_status(tokens.access_token, ticket.publish_id,
                         retry=RetryPolicy(attempts=2, delay=1.0))


def test_cancel_is_refused_for_file_uploads(connect: Connect, api: TikTokApi) -> None:
    tokens = connect()
    ticket = api.init_direct_post(tokens.access_token, post(), SMALL)
    with pytest.raises(PublishIdError) as info:
        api.cancel_publish(tokens.access_token, ticket.publish_id)
    assert info.value.code == "publish_not_cancellable"


# --- every documented v2 code, through the client, from the sandbox's fault injection -------

_STATUS_OF = {"access_token_invalid": 401, "scope_not_authorized": 401,
              "scope_permission_missed": 401, "rate_limit_exceeded": 429,
              "internal_error": 500, "invalid_file_upload": 400, "invalid_params": 400,
              "invalid_param": 400, "app_version_check_failed": 400,
              "invalid_publish_id": 400, "token_not_authorized_for_specified_publish_id": 400,
              "publish_not_cancellable": 400}


@pytest.mark.parametrize("code", sorted(V2_ERRORS))
def test_every_documented_code_maps_through_the_client(connect: Connect, api: TikTokApi,
                                                       sandbox: Any, code: str) -> None:
    tokens = connect()
    status = _STATUS_OF.get(code, 403)
    sandbox.control.inject_fault("/v2/post/publish/video/init/", "status", status=status,
                                 code=code)
    with pytest.raises(V2_ERRORS[code].cls) as info:
        api.init_direct_post(tokens.access_token, post(), SMALL)
    exc = info.value
    assert (exc.code, exc.http_status) == (code, status)
    assert (exc.retryable, exc.needs_reauth) == (V2_ERRORS[code].retryable,
                                                 V2_ERRORS[code].needs_reauth)
    assert str(exc) == V2_ERRORS[code].message
    assert tokens.access_token not in str(exc) + repr(exc)


def test_endpoints_default_to_real_tiktok() -> None:
    endpoints = Endpoints()
    assert endpoints.authorize == "https://www.tiktok.com/v2/auth/authorize/"
    assert endpoints.token == "https://open.tiktokapis.com/v2/oauth/token/"
    assert endpoints.video_init == "https://open.tiktokapis.com/v2/post/publish/video/init/"
    with httpx.Client() as http:
        assert TikTokApi(http).endpoints == endpoints


@pytest.mark.parametrize("sandbox_options", [{"daily_post_cap": 100}], indirect=True)
def test_sandbox_accepts_our_chunk_plan_at_every_boundary(connect: Connect, api: TikTokApi,
                                                          clock: FakeClock) -> None:
    """The sandbox checks plans under both MB readings; ours must pass at every edge."""
    tokens = connect()
    sizes = [1, 4_999_999, 5_000_000, 5 * 2**20, 64_000_000, 64_000_001, 64 * 2**20,
             69_999_999, 70_000_000, 1_000_000_007, 3_999_999_999, 4_000_000_000]
    for i, size in enumerate(sizes):
        if i and i % 6 == 0:
            clock.advance(61)           # 6 inits per minute per token
        ticket = api.init_direct_post(tokens.access_token, post(), plan_chunks(size))
        assert ticket.publish_id
