"""Direct and inbox init validation, creator/app restrictions, status/fetch and cancel."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tiktok_desktop.sandbox import SandboxOptions, SandboxServer

from .helpers import (
    MB,
    FakeClock,
    Tokens,
    connect,
    error_of,
    init_direct,
    init_inbox,
    ok_data,
    post_info,
    publish_small,
    put_chunk,
    source_info,
    status,
    video,
)

DIRECT = "/v2/post/publish/video/init/"
INBOX = "/v2/post/publish/inbox/video/init/"


def _init(http: httpx.Client, tokens: Tokens, body: Any, path: str = DIRECT) -> httpx.Response:
    return http.post(path, headers=tokens.headers, json=body)


# --- init: body validation --------------------------------------------------------------------


def test_direct_init_answer(server: SandboxServer, http: httpx.Client, creator: Tokens) -> None:
    data = ok_data(init_direct(http, creator, 1000))
    assert set(data) == {"publish_id", "upload_url"}
    assert data["publish_id"].startswith("v_pub_file~v2-") and len(data["publish_id"]) <= 64
    assert data["upload_url"].startswith(server.base_url + "/") and len(data["upload_url"]) <= 256


def test_inbox_init_answer(server: SandboxServer, http: httpx.Client, creator: Tokens) -> None:
    data = ok_data(init_inbox(http, creator, 1000))
    assert data["publish_id"].startswith("v_inbox_file~v2") and len(data["publish_id"]) <= 64
    assert data["upload_url"].startswith(server.base_url + "/")


@pytest.mark.parametrize(
    "change",
    [
        {"privacy_level": None},
        {"privacy_level": "PUBLIC"},
        {"privacy_level": "public_to_everyone"},
        {"title": "x" * 2201},
        {"title": "😀" * 1101},  # 2202 UTF-16 units
        {"title": 5},
        {"disable_comment": 0},
        {"disable_duet": "false"},
        {"disable_stitch": None, "disable_stitches": True},
        {"disable_comments": True},  # a typo must not pass silently
        {"brand_content_toggle": None},
        {"brand_content_toggle": 1},
        {"brand_organic_toggle": "yes"},
        {"is_aigc": 1},
        {"brand_content_toggle": True, "privacy_level": "SELF_ONLY"},
        {"video_cover_timestamp_ms": "1000"},
        {"video_cover_timestamp_ms": True},
        {"video_cover_timestamp_ms": 2**31},
        {"video_cover_timestamp_ms": 1.5},
    ],
)
def test_post_info_validation(http: httpx.Client, creator: Tokens, change: dict[str, Any]) -> None:
    body = {"post_info": post_info(**change), "source_info": source_info(1000)}
    assert error_of(_init(http, creator, body)) == (400, "invalid_param")


@pytest.mark.parametrize(
    "change",
    [
        {"title": "x" * 2200},
        {"title": "😀" * 1100},
        {"title": "", "brand_content_toggle": True, "brand_organic_toggle": True},
        {"video_cover_timestamp_ms": 1500, "is_aigc": True},
        {"disable_comment": None, "disable_duet": None, "disable_stitch": None,
         "brand_organic_toggle": None, "title": None},
    ],
)
def test_post_info_accepted(http: httpx.Client, creator: Tokens, change: dict[str, Any]) -> None:
    ok_data(_init(http, creator, {"post_info": post_info(**change),
                                  "source_info": source_info(1000)}))


@pytest.mark.parametrize(
    "body",
    [
        {"source_info": source_info(1000)},
        {"post_info": post_info()},
        {"post_info": post_info(), "source_info": source_info(1000), "extra": 1},
        {"post_info": post_info(), "source_info": {"source": "URL", "video_size": 1000}},
        {"post_info": post_info(), "source_info": {**source_info(1000), "video_size": "1000"}},
        {"post_info": post_info(), "source_info": {**source_info(1000), "chunk_size": 1000.0}},
        {"post_info": post_info(), "source_info": {**source_info(1000), "total_chunk_count": True}},
        {"post_info": post_info(), "source_info": {**source_info(1000), "md5": "x"}},
        {"post_info": post_info(), "source_info": source_info(1000, 500, 2)},
        {"post_info": post_info(), "source_info": source_info(66 * MB, 66 * MB, 1)},
        {"post_info": post_info(), "source_info": source_info(50_000_123, 10 * MB, 6)},
        {"post_info": post_info(), "source_info": source_info(12 * MB, 5 * MB, 2)},
        [1, 2],
    ],
)
def test_direct_body_validation(http: httpx.Client, creator: Tokens, body: Any) -> None:
    assert error_of(_init(http, creator, body)) == (400, "invalid_param")


def test_init_needs_json_content_type(http: httpx.Client, creator: Tokens) -> None:
    body = json.dumps({"post_info": post_info(), "source_info": source_info(1000)})
    response = http.post(DIRECT, headers={**creator.headers, "Content-Type": "text/plain"},
                         content=body)
    assert error_of(response) == (400, "invalid_param")
    response = http.post(DIRECT, headers={**creator.headers,
                                          "Content-Type": "application/json; charset=UTF-8"},
                         content=body)
    ok_data(response)
    bad_json = http.post(DIRECT, headers={**creator.headers, "Content-Type": "application/json"},
                         content=b"{nope")
    assert error_of(bad_json) == (400, "invalid_param")


def test_multi_chunk_plans_accepted(http: httpx.Client, creator: Tokens) -> None:
    for size in (50_000_123, 64 * MB + 1, 4000 * MB):
        ok_data(_init(http, creator, {"post_info": post_info(), "source_info": source_info(size)}))


def test_pull_from_url_is_unverified(http: httpx.Client, creator: Tokens) -> None:
    body = {"post_info": post_info(),
            "source_info": {"source": "PULL_FROM_URL", "video_url": "https://example.com/v.mp4"}}
    assert error_of(_init(http, creator, body)) == (403, "url_ownership_unverified")
    body["source_info"] = {"source": "PULL_FROM_URL"}
    assert error_of(_init(http, creator, body)) == (400, "invalid_param")


def test_inbox_body_is_source_info_only(http: httpx.Client, creator: Tokens) -> None:
    body = {"post_info": {"title": "x"}, "source_info": source_info(1000)}
    assert error_of(_init(http, creator, body, INBOX)) == (400, "invalid_param")
    assert error_of(_init(http, creator, {}, INBOX)) == (400, "invalid_param")


def test_init_scopes(server: SandboxServer, http: httpx.Client) -> None:
    upload_only = connect(server, http, grant=["video.upload"])
    assert error_of(init_direct(http, upload_only)) == (401, "scope_not_authorized")
    ok_data(init_inbox(http, upload_only))
    publish_only = connect(server, http, grant=["video.publish"])
    assert error_of(init_inbox(http, publish_only)) == (401, "scope_not_authorized")
    ok_data(init_direct(http, publish_only))


def test_privacy_level_must_be_an_option(server: SandboxServer, http: httpx.Client,
                                         creator: Tokens) -> None:
    response = init_direct(http, creator, privacy_level="FOLLOWER_OF_CREATOR")
    assert error_of(response) == (403, "privacy_level_option_mismatch")
    private = connect(server, http, "sandbox_private")
    assert error_of(init_direct(http, private)) == (403, "privacy_level_option_mismatch")
    ok_data(init_direct(http, private, privacy_level="FOLLOWER_OF_CREATOR"))


def test_init_rate_limit_counts_rejected_requests(http: httpx.Client, creator: Tokens,
                                                  clock: FakeClock) -> None:
    for _ in range(6):
        assert error_of(_init(http, creator, {}))[0] == 400
    assert error_of(init_direct(http, creator)) == (429, "rate_limit_exceeded")
    # each init endpoint has its own window
    ok_data(init_inbox(http, creator))
    clock.advance(60)
    ok_data(init_direct(http, creator))


# --- creator and app restrictions --------------------------------------------------------------


def test_creator_who_cannot_post(server: SandboxServer, http: httpx.Client) -> None:
    limited = connect(server, http, "sandbox_limited")
    assert error_of(init_direct(http, limited)) == (403, "spam_risk_too_many_posts")
    assert error_of(init_inbox(http, limited)) == (403, "spam_risk_too_many_posts")
    server.control.set_creator(limited.open_id, can_post="spam_risk_user_banned_from_posting")
    assert error_of(init_direct(http, limited)) == (403, "spam_risk_user_banned_from_posting")
    server.control.set_creator(limited.open_id, can_post=None)
    ok_data(init_direct(http, limited))


def test_daily_direct_post_cap(server: SandboxServer, http: httpx.Client, creator: Tokens,
                               clock: FakeClock) -> None:
    for i in range(15):
        ok_data(init_direct(http, creator))
        if i % 5 == 4:
            clock.advance(60)  # stay under 6 inits/min
    assert error_of(init_direct(http, creator)) == (403, "spam_risk_too_many_posts")
    creator_info = http.post("/v2/post/publish/creator_info/query/", headers=creator.headers,
                             json={})
    assert error_of(creator_info) == (200, "spam_risk_too_many_posts")
    # the cap is per creator and shared across apps; inbox shares are not direct posts
    other_app = connect(server, http, app=server.control.register_app(
        "Other", ["http://127.0.0.1:*/callback/"]))
    assert error_of(init_direct(http, other_app)) == (403, "spam_risk_too_many_posts")
    ok_data(init_inbox(http, creator))
    clock.advance(24 * 3600 - 180)  # the first five leave the 24 h window
    fresh = connect(server, http)  # (the old access token expired meanwhile)
    for _ in range(5):
        ok_data(init_direct(http, fresh))
    assert error_of(init_direct(http, fresh)) == (403, "spam_risk_too_many_posts")


def test_daily_cap_option(make_server: Callable[..., SandboxServer]) -> None:
    server = make_server(SandboxOptions(daily_post_cap=2))
    with httpx.Client(base_url=server.base_url) as http:
        tokens = connect(server, http)
        ok_data(init_direct(http, tokens))
        ok_data(init_direct(http, tokens))
        assert error_of(init_direct(http, tokens)) == (403, "spam_risk_too_many_posts")


def test_pending_inbox_shares(server: SandboxServer, http: httpx.Client, creator: Tokens,
                              clock: FakeClock) -> None:
    clip = video()
    shares = [ok_data(init_inbox(http, creator, len(clip))) for _ in range(5)]
    clock.advance(60)
    assert error_of(init_inbox(http, creator)) == (403, "spam_risk_too_many_pending_share")
    # a share delivered to the inbox is still pending (the user has not posted it) ...
    assert put_chunk(http, shares[1]["upload_url"], clip, 0, len(clip)).status_code == 201
    # ... but a failed one is not
    server.control.set_fail_reason(shares[0]["publish_id"], "file_format_check_failed")
    assert put_chunk(http, shares[0]["upload_url"], clip, 0, len(clip)).status_code == 201
    clock.advance(3)
    assert status(http, creator, shares[1]["publish_id"])["status"] == "SEND_TO_USER_INBOX"
    assert status(http, creator, shares[0]["publish_id"])["status"] == "FAILED"
    ok_data(init_inbox(http, creator))
    assert error_of(init_inbox(http, creator)) == (403, "spam_risk_too_many_pending_share")
    # nor one the creator finished in the TikTok app; an expired draft was never posted: it is
    assert put_chunk(http, shares[2]["upload_url"], clip, 0, len(clip)).status_code == 201
    assert put_chunk(http, shares[3]["upload_url"], clip, 0, len(clip)).status_code == 201
    clock.advance(3)
    server.control.expire_draft(shares[3]["publish_id"])
    assert error_of(init_inbox(http, creator)) == (403, "spam_risk_too_many_pending_share")
    server.control.finish_draft(shares[2]["publish_id"])
    ok_data(init_inbox(http, creator))
    assert error_of(init_inbox(http, creator)) == (403, "spam_risk_too_many_pending_share")
    clock.advance(24 * 3600)
    ok_data(init_inbox(http, connect(server, http)))


def test_unaudited_client_rules(server: SandboxServer, http: httpx.Client) -> None:
    app = server.unaudited_app
    public = connect(server, http, app=app)
    for privacy in ("PUBLIC_TO_EVERYONE", "SELF_ONLY"):
        response = init_direct(http, public, privacy_level=privacy)
        assert error_of(response) == (403, "unaudited_client_can_only_post_to_private_accounts")
    ok_data(init_inbox(http, public))  # the inbox flow is not restricted to private accounts
    private = connect(server, http, "sandbox_private", app=app)
    response = init_direct(http, private, privacy_level="FOLLOWER_OF_CREATOR")
    assert error_of(response) == (403, "unaudited_client_can_only_post_to_private_accounts")
    ok_data(init_direct(http, private, privacy_level="SELF_ONLY"))
    # the account's privacy counts at posting time
    server.control.set_creator(private.open_id, is_private=False)
    response = init_direct(http, private, privacy_level="SELF_ONLY")
    assert error_of(response) == (403, "unaudited_client_can_only_post_to_private_accounts")


def test_unaudited_client_five_creators_per_day(server: SandboxServer, http: httpx.Client,
                                                clock: FakeClock) -> None:
    app = server.unaudited_app
    creators = [connect(server, http, u, app=app)
                for u in ("sandbox_creator", "sandbox_private", "sandbox_quiet")]
    for name in ("extra1", "extra2", "extra3"):
        server.control.add_user(name, is_private=True)
        creators.append(connect(server, http, name, app=app))
    for tokens in creators[:5]:
        ok_data(init_inbox(http, tokens))
    assert error_of(init_inbox(http, creators[5])) == (403, "reached_active_user_cap")
    ok_data(init_inbox(http, creators[0]))  # already active today
    # the audited app has no such cap
    ok_data(init_inbox(http, connect(server, http, "extra3")))
    clock.advance(24 * 3600)
    ok_data(init_inbox(http, connect(server, http, "extra3", app=app)))


# --- status/fetch -----------------------------------------------------------------------------


def test_status_progression_direct(http: httpx.Client, creator: Tokens,
                                   clock: FakeClock) -> None:
    clip = video()
    data = ok_data(init_direct(http, creator, len(clip)))
    pid = data["publish_id"]
    assert status(http, creator, pid) == {
        "status": "PROCESSING_UPLOAD", "publicaly_available_post_id": [], "uploaded_bytes": 0}
    assert put_chunk(http, data["upload_url"], clip, 0, len(clip)).status_code == 201
    clock.advance(2.9)
    assert status(http, creator, pid)["status"] == "PROCESSING_UPLOAD"
    assert status(http, creator, pid)["uploaded_bytes"] == len(clip)
    clock.advance(0.1)
    final = status(http, creator, pid)
    # TikTok's moderation: complete first, the post's ID only later (default 180 s)
    assert final["status"] == "PUBLISH_COMPLETE" and "fail_reason" not in final
    assert final["publicaly_available_post_id"] == []
    clock.advance(179.9)
    assert status(http, creator, pid)["publicaly_available_post_id"] == []
    clock.advance(0.1)
    final = status(http, creator, pid)
    (post_id,) = final["publicaly_available_post_id"]
    assert isinstance(post_id, int) and len(str(post_id)) == 19
    assert post_id < 2**63


@pytest.mark.parametrize("privacy", ["SELF_ONLY", "MUTUAL_FOLLOW_FRIENDS"])
def test_non_public_posts_get_no_post_id(http: httpx.Client, creator: Tokens, clock: FakeClock,
                                         privacy: str) -> None:
    pid, final = publish_small(http, creator, clock, privacy_level=privacy)
    assert final["status"] == "PUBLISH_COMPLETE"
    assert final["publicaly_available_post_id"] == []
    clock.advance(3600)  # not after moderation either: never
    assert status(http, creator, pid)["publicaly_available_post_id"] == []


def test_status_inbox(http: httpx.Client, creator: Tokens, clock: FakeClock) -> None:
    clip = video()
    data = ok_data(init_inbox(http, creator, len(clip)))
    assert put_chunk(http, data["upload_url"], clip, 0, len(clip)).status_code == 201
    clock.advance(3)
    final = status(http, creator, data["publish_id"])
    assert final["status"] == "SEND_TO_USER_INBOX" and final["publicaly_available_post_id"] == []


def test_fail_reason_for_next_publish(server: SandboxServer, http: httpx.Client,
                                      creator: Tokens, clock: FakeClock) -> None:
    server.control.set_fail_reason(None, "duration_check_failed")
    _pid, final = publish_small(http, creator, clock)
    assert final["status"] == "FAILED" and final["fail_reason"] == "duration_check_failed"
    assert final["publicaly_available_post_id"] == []
    _pid, final = publish_small(http, creator, clock)  # only the next one
    assert final["status"] == "PUBLISH_COMPLETE"
    with pytest.raises(ValueError):
        server.control.set_fail_reason(None, "bad_luck")


def test_fail_reason_after_completion(server: SandboxServer, http: httpx.Client,
                                      creator: Tokens, clock: FakeClock) -> None:
    pid, _final = publish_small(http, creator, clock)
    server.control.set_fail_reason(pid, "internal")
    assert status(http, creator, pid)["fail_reason"] == "internal"


def test_revoked_user_fails_inflight_publish(server: SandboxServer, http: httpx.Client,
                                             creator: Tokens) -> None:
    pid = ok_data(init_direct(http, creator))["publish_id"]
    server.control.revoke_tokens(creator.open_id)
    response = http.post("/v2/post/publish/status/fetch/", headers=creator.headers,
                         json={"publish_id": pid})
    assert error_of(response) == (401, "access_token_invalid")
    again = connect(server, http)
    final = status(http, again, pid)
    assert final["status"] == "FAILED" and final["fail_reason"] == "auth_removed"


def test_status_errors(server: SandboxServer, http: httpx.Client, creator: Tokens) -> None:
    pid = ok_data(init_direct(http, creator))["publish_id"]

    def fetch(tokens: Tokens, body: Any) -> tuple[int, str]:
        return error_of(http.post("/v2/post/publish/status/fetch/", headers=tokens.headers,
                                  json=body))

    assert fetch(creator, {"publish_id": "v_pub_file~v2-1.123"}) == (400, "invalid_publish_id")
    assert fetch(creator, {}) == (400, "invalid_params")
    other_user = connect(server, http, "sandbox_private")
    assert fetch(other_user, {"publish_id": pid}) == (
        400, "token_not_authorized_for_specified_publish_id")
    other_app = connect(server, http, app=server.unaudited_app)
    assert fetch(other_app, {"publish_id": pid}) == (
        400, "token_not_authorized_for_specified_publish_id")
    basic = connect(server, http, grant=["user.info.basic"])
    assert fetch(basic, {"publish_id": pid}) == (401, "scope_not_authorized")
    # the same user and app with a refreshed or new token may ask
    assert status(http, connect(server, http), pid)["status"] == "PROCESSING_UPLOAD"


def test_status_rate_limit(http: httpx.Client, creator: Tokens, clock: FakeClock) -> None:
    pid = ok_data(init_direct(http, creator))["publish_id"]
    for _ in range(30):
        status(http, creator, pid)
    response = http.post("/v2/post/publish/status/fetch/", headers=creator.headers,
                         json={"publish_id": pid})
    assert error_of(response) == (429, "rate_limit_exceeded")
    clock.advance(60)
    status(http, creator, pid)


def test_cancel(server: SandboxServer, http: httpx.Client, creator: Tokens) -> None:
    pid = ok_data(init_direct(http, creator))["publish_id"]

    def cancel(tokens: Tokens, publish_id: str) -> tuple[int, str]:
        return error_of(http.post("/v2/post/publish/cancel/", headers=tokens.headers,
                                  json={"publish_id": publish_id}))

    assert cancel(creator, pid) == (400, "publish_not_cancellable")
    assert cancel(creator, "nope") == (400, "invalid_publish_id")
    assert cancel(connect(server, http, "sandbox_private"), pid) == (
        400, "token_not_authorized_for_specified_publish_id")
