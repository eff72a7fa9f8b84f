"""User info, creator info, video list/query, and the per-token rate limits."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tiktok_desktop.sandbox import SandboxOptions, SandboxServer

from .helpers import FakeClock, Tokens, connect, error_of, ok_data, publish_small


def _info(http: httpx.Client, tokens: Tokens, fields: str | None) -> httpx.Response:
    params = {} if fields is None else {"fields": fields}
    return http.get("/v2/user/info/", params=params, headers=tokens.headers)


def _creator(http: httpx.Client, tokens: Tokens) -> httpx.Response:
    return http.post("/v2/post/publish/creator_info/query/", headers=tokens.headers, json={})


# --- user info -----------------------------------------------------------------------------------


def test_user_info_basic_fields(server: SandboxServer, http: httpx.Client,
                                creator: Tokens) -> None:
    data = ok_data(_info(http, creator, "open_id,union_id,avatar_url,display_name"))
    user = server.user("sandbox_creator")
    assert data == {"user": {"open_id": user.open_id, "union_id": user.union_id,
                             "avatar_url": user.avatar_url, "display_name": user.nickname}}
    avatar = http.get(user.avatar_url)
    assert avatar.status_code == 200 and avatar.headers["content-type"] == "image/svg+xml"


def test_user_info_all_fields_with_all_scopes(http: httpx.Client, creator: Tokens) -> None:
    fields = ("open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name,"
              "username,bio_description,profile_deep_link,profile_web_link,is_verified,"
              "follower_count,following_count,likes_count,video_count")
    user = ok_data(_info(http, creator, fields))["user"]
    assert set(user) == set(fields.split(","))
    assert user["username"] == "sandbox_creator" and user["is_verified"] is True
    assert user["follower_count"] == 1234 and user["video_count"] == 0


@pytest.mark.parametrize(
    ("fields", "code"),
    [(None, "invalid_params"), ("", "invalid_params"), ("open_id,nickname", "invalid_params"),
     ("open_id,", "invalid_params")],
)
def test_user_info_bad_fields(http: httpx.Client, creator: Tokens, fields: str | None,
                              code: str) -> None:
    assert error_of(_info(http, creator, fields)) == (400, code)


@pytest.mark.parametrize(
    ("grant", "fields", "ok"),
    [
        (["user.info.basic"], "open_id,display_name,avatar_large_url", True),
        (["user.info.basic"], "open_id,username", False),
        (["user.info.basic"], "bio_description", False),
        (["user.info.basic"], "follower_count", False),
        (["user.info.basic", "user.info.profile"], "username,is_verified", True),
        (["user.info.basic", "user.info.profile"], "likes_count", False),
        (["user.info.basic", "user.info.stats"], "video_count,likes_count", True),
    ],
)
def test_user_info_field_scopes(server: SandboxServer, http: httpx.Client, grant: list[str],
                                fields: str, ok: bool) -> None:
    tokens = connect(server, http, grant=grant)
    response = _info(http, tokens, fields)
    if ok:
        ok_data(response)
    else:
        assert error_of(response) == (401, "scope_not_authorized")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer act.bogus", "Basic abc", "act.x"])
def test_bad_bearer(http: httpx.Client, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = http.get("/v2/user/info/", params={"fields": "open_id"}, headers=headers)
    assert error_of(response) == (401, "access_token_invalid")
    assert response.json()["data"] == {}


def test_wrong_method_and_unknown_path(http: httpx.Client, creator: Tokens) -> None:
    response = http.post("/v2/user/info/", params={"fields": "open_id"}, headers=creator.headers)
    assert response.status_code == 405
    assert error_of(http.get("/v2/user/info", headers=creator.headers))[0] == 404
    assert error_of(http.get("/v2/nothing/"))[0] == 404


# --- creator info -------------------------------------------------------------------------------


def test_creator_info_public(server: SandboxServer, http: httpx.Client, creator: Tokens) -> None:
    data = ok_data(_creator(http, creator))
    user = server.user("sandbox_creator")
    assert data == {
        "creator_avatar_url": user.avatar_url,
        "creator_username": "sandbox_creator",
        "creator_nickname": "Sandbox Creator",
        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": False,
        "max_video_post_duration_sec": 600,
    }


def test_creator_info_private_and_quiet(server: SandboxServer, http: httpx.Client) -> None:
    private = ok_data(_creator(http, connect(server, http, "sandbox_private")))
    assert private["privacy_level_options"] == [
        "FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    # a private account cannot be dueted or stitched
    assert private["duet_disabled"] and private["stitch_disabled"]
    assert not private["comment_disabled"]
    quiet = ok_data(_creator(http, connect(server, http, "sandbox_quiet")))
    assert quiet["comment_disabled"] and quiet["duet_disabled"] and quiet["stitch_disabled"]
    assert quiet["max_video_post_duration_sec"] == 300


def test_creator_who_cannot_post_gets_http_200_error(server: SandboxServer,
                                                     http: httpx.Client) -> None:
    response = _creator(http, connect(server, http, "sandbox_limited"))
    assert response.status_code == 200
    body = response.json()
    assert body["error"]["code"] == "spam_risk_too_many_posts" and body["data"] == {}
    tokens = connect(server, http)
    for code in ("spam_risk_user_banned_from_posting", "reached_active_user_cap"):
        server.control.set_creator(tokens.open_id, can_post=code)
        assert error_of(_creator(http, tokens)) == (200, code)


def test_creator_info_follows_set_creator(server: SandboxServer, http: httpx.Client,
                                          creator: Tokens) -> None:
    server.control.set_creator(creator.open_id, is_private=True, comment_disabled=True,
                               max_video_post_duration_sec=180)
    data = ok_data(_creator(http, creator))
    assert data["privacy_level_options"][0] == "FOLLOWER_OF_CREATOR"
    assert data["comment_disabled"] and data["duet_disabled"]
    assert data["max_video_post_duration_sec"] == 180
    server.control.set_creator(creator.open_id, privacy_level_options=["SELF_ONLY"])
    assert ok_data(_creator(http, creator))["privacy_level_options"] == ["SELF_ONLY"]
    with pytest.raises(ValueError):
        server.control.set_creator(creator.open_id, nonsense=1)
    with pytest.raises(ValueError):
        server.control.set_creator(creator.open_id, can_post="tired")


def test_creator_info_scope_and_content_type(server: SandboxServer, http: httpx.Client) -> None:
    upload_only = connect(server, http, grant=["video.upload"])
    assert error_of(_creator(http, upload_only)) == (401, "scope_not_authorized")
    tokens = connect(server, http)
    response = http.post("/v2/post/publish/creator_info/query/", headers=tokens.headers,
                         content=b"")
    assert error_of(response) == (400, "invalid_params")
    empty_json = http.post("/v2/post/publish/creator_info/query/",
                           headers={**tokens.headers, "Content-Type": "application/json"})
    ok_data(empty_json)


# --- rate limits ----------------------------------------------------------------------------------


def test_creator_info_rate_limit_slides(server: SandboxServer, http: httpx.Client,
                                        creator: Tokens, clock: FakeClock) -> None:
    for i in range(20):
        ok_data(_creator(http, creator))
        if i == 9:
            clock.advance(30)
    assert error_of(_creator(http, creator)) == (429, "rate_limit_exceeded")
    # another token of the same user has its own window
    ok_data(_creator(http, connect(server, http)))
    clock.advance(30)  # the first 10 leave the window
    for _ in range(10):
        ok_data(_creator(http, creator))
    assert error_of(_creator(http, creator)) == (429, "rate_limit_exceeded")


def test_user_info_rate_limit_600(http: httpx.Client, creator: Tokens,
                                  clock: FakeClock) -> None:
    for _ in range(600):
        assert _info(http, creator, "open_id").status_code == 200
    assert error_of(_info(http, creator, "open_id")) == (429, "rate_limit_exceeded")
    clock.advance(60)
    ok_data(_info(http, creator, "open_id"))


def test_rate_limits_can_be_disabled(make_server: Callable[..., SandboxServer]) -> None:
    server = make_server(SandboxOptions(rate_limits_enabled=False))
    with httpx.Client(base_url=server.base_url) as http:
        tokens = connect(server, http)
        for _ in range(25):
            ok_data(_creator(http, tokens))


# --- video list / query ---------------------------------------------------------------------------


def test_video_list_and_query(server: SandboxServer, http: httpx.Client, creator: Tokens,
                              clock: FakeClock) -> None:
    ids = []
    for title in ("one", "two", "three"):
        _pid, final = publish_small(http, creator, clock, title=title)
        ids.append(str(final["publicaly_available_post_id"][0]))
        clock.advance(10)
    publish_small(http, creator, clock, privacy_level="SELF_ONLY", title="hidden")
    fields = "id,title,create_time,share_url,is_aigc"
    page = ok_data(http.post("/v2/video/list/", params={"fields": fields},
                             headers=creator.headers, json={"max_count": 2}))
    assert [v["title"] for v in page["videos"]] == ["three", "two"]
    assert page["has_more"] is True
    assert set(page["videos"][0]) == set(fields.split(","))
    assert page["videos"][0]["id"] == ids[2]
    assert page["videos"][0]["share_url"].endswith(f"/@sandbox_creator/video/{ids[2]}")
    rest = ok_data(http.post("/v2/video/list/", params={"fields": "title"},
                             headers=creator.headers,
                             json={"cursor": page["cursor"], "max_count": 20}))
    assert [v["title"] for v in rest["videos"]] == ["one"] and rest["has_more"] is False
    found = ok_data(http.post("/v2/video/query/", params={"fields": "id,title"},
                              headers=creator.headers,
                              json={"filters": {"video_ids": [ids[0], "123"]}}))
    assert found["videos"] == [{"id": ids[0], "title": "one"}]
    assert ok_data(_info(http, creator, "video_count"))["user"]["video_count"] == 3
    video_page = http.get(f"/@sandbox_creator/video/{ids[0]}")
    assert video_page.status_code == 200 and str(ids[0]) in video_page.text


@pytest.mark.parametrize(
    ("path", "params", "body"),
    [
        ("/v2/video/list/", {}, {}),
        ("/v2/video/list/", {"fields": "id,plays"}, {}),
        ("/v2/video/list/", {"fields": "id"}, {"max_count": 21}),
        ("/v2/video/list/", {"fields": "id"}, {"max_count": 0}),
        ("/v2/video/list/", {"fields": "id"}, {"cursor": "later"}),
        ("/v2/video/query/", {"fields": "id"}, {"filters": {"video_ids": []}}),
        ("/v2/video/query/", {"fields": "id"}, {"filters": {"video_ids": ["1"] * 21}}),
        ("/v2/video/query/", {"fields": "id"}, {"filters": {"video_ids": [1]}}),
        ("/v2/video/query/", {"fields": "id"}, {}),
    ],
)
def test_video_endpoints_validate(http: httpx.Client, creator: Tokens, path: str,
                                  params: dict[str, str], body: dict[str, object]) -> None:
    assert error_of(http.post(path, params=params, headers=creator.headers, json=body)) == (
        400, "invalid_params")


def test_video_list_needs_scope(server: SandboxServer, http: httpx.Client) -> None:
    tokens = connect(server, http, grant=["video.publish"])
    response = http.post("/v2/video/list/", params={"fields": "id"}, headers=tokens.headers,
                         json={})
    assert error_of(response) == (401, "scope_not_authorized")
