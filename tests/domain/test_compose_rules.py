"""TikTok's Direct Post UX checklist (TIKTOK_API.md 7), item by item, on the form rules."""

from __future__ import annotations

import dataclasses

import pytest

from tiktok_desktop.domain.compose import (
    BRANDED_PRIVATE_HINT,
    DISCLOSURE_HINT,
    MAX_CAPTION_UNITS,
    MUSIC_URL,
    POLICY_URL,
    PostForm,
    caption_control_problem,
    caption_units,
    evaluate,
    highlight_spans,
)
from tiktok_desktop.store import PostMode
from tiktok_desktop.tiktok import CreatorInfo

PUBLIC = CreatorInfo(nickname="Mia", username="miacooks", avatar_url="",
                     privacy_level_options=("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS",
                                            "SELF_ONLY"),
                     comment_disabled=False, duet_disabled=False, stitch_disabled=False,
                     max_video_post_duration_sec=600)


def ready(**changes: object) -> PostForm:
    return dataclasses.replace(PostForm(privacy_level="PUBLIC_TO_EVERYONE"), **changes)


def test_a_complete_form_may_be_published() -> None:
    state = evaluate(ready(caption="hello #food"), PUBLIC)
    assert state.publish_enabled and state.publish_tooltip == "" and state.problems == ()


def test_ux02_creator_who_cannot_post_blocks_publishing() -> None:
    state = evaluate(ready(), PUBLIC, creator_problem="TikTok says: too many posts today.")
    assert not state.publish_enabled
    assert state.publish_tooltip == "TikTok says: too many posts today."


def test_ux03_media_problems_block_publishing() -> None:
    state = evaluate(ready(), PUBLIC, media_problems=("The video is 11 minutes long; ...",))
    assert not state.publish_enabled and state.problems[0].startswith("The video is 11")


def test_ux05_privacy_comes_only_from_creator_options_with_no_default() -> None:
    state = evaluate(PostForm(), PUBLIC)
    assert [c.value for c in state.privacy_choices] == list(PUBLIC.privacy_level_options)
    assert [c.label for c in state.privacy_choices] == ["Everyone", "Friends", "Only me"]
    assert PostForm().privacy_level is None
    assert not state.publish_enabled and "Choose who can view" in state.publish_tooltip
    private = dataclasses.replace(PUBLIC, privacy_level_options=(
        "FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"))
    values = [c.value for c in evaluate(PostForm(), private).privacy_choices]
    assert values == ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    # A choice the creator no longer offers is not accepted.
    stale = evaluate(ready(privacy_level="PUBLIC_TO_EVERYONE"), private)
    assert not stale.publish_enabled and "no longer offered" in stale.publish_tooltip


def test_ux06_interactions_off_by_default_and_greyed_when_disabled() -> None:
    form = PostForm()
    assert (form.allow_comment, form.allow_duet, form.allow_stitch) == (False, False, False)
    state = evaluate(form, PUBLIC)
    assert state.comment_enabled and state.duet_enabled and state.stitch_enabled
    locked = dataclasses.replace(PUBLIC, comment_disabled=True, duet_disabled=True,
                                 stitch_disabled=False)
    state = evaluate(form, locked)
    assert not state.comment_enabled and not state.duet_enabled and state.stitch_enabled
    assert "comments off" in state.interaction_tooltips["comment"]
    # Nothing to offer before creator_info arrived.
    loading = evaluate(form, None)
    assert not (loading.comment_enabled or loading.duet_enabled or loading.stitch_enabled)
    assert not loading.publish_enabled


def test_ux07_disclosure_off_by_default_with_labels() -> None:
    assert PostForm().disclose is False
    off = evaluate(ready(), PUBLIC)
    assert not off.brand_organic_enabled and not off.brand_content_enabled and off.label_text == ""
    on = evaluate(ready(disclose=True, brand_organic=True), PUBLIC)
    assert on.brand_organic_enabled and on.brand_content_enabled
    assert on.label_text == "Your video will be labeled as 'Promotional content'."
    paid = evaluate(ready(disclose=True, brand_content=True), PUBLIC)
    assert paid.label_text == "Your video will be labeled as 'Paid partnership'."
    both = evaluate(ready(disclose=True, brand_organic=True, brand_content=True), PUBLIC)
    assert both.label_text == "Your video will be labeled as 'Paid partnership'."
    assert both.publish_enabled


def test_ux08_disclosure_on_without_a_choice_disables_publish_with_tiktoks_text() -> None:
    state = evaluate(ready(disclose=True), PUBLIC)
    assert not state.publish_enabled
    assert state.publish_tooltip == DISCLOSURE_HINT
    assert DISCLOSURE_HINT == ("You need to indicate if your content promotes yourself, a third "
                               "party, or both.")


def test_ux09_branded_content_cannot_be_private_either_way() -> None:
    # "Only me" chosen first: branded content is not offered.
    private_first = evaluate(ready(privacy_level="SELF_ONLY", disclose=True), PUBLIC)
    assert not private_first.brand_content_enabled
    assert private_first.brand_content_tooltip == BRANDED_PRIVATE_HINT
    # Branded content first: "Only me" is disabled, with TikTok's hover text.
    branded_first = evaluate(PostForm(disclose=True, brand_content=True), PUBLIC)
    only_me = next(c for c in branded_first.privacy_choices if c.value == "SELF_ONLY")
    assert not only_me.enabled and only_me.tooltip == BRANDED_PRIVATE_HINT
    assert all(c.enabled for c in branded_first.privacy_choices if c.value != "SELF_ONLY")
    # And the combination can never be published.
    both = evaluate(ready(privacy_level="SELF_ONLY", disclose=True, brand_content=True),
                    PUBLIC)
    assert not both.publish_enabled and BRANDED_PRIVATE_HINT in both.problems


def test_ux10_declaration_always_there_with_the_right_links() -> None:
    for form in (PostForm(), ready(disclose=True, brand_organic=True)):
        text = evaluate(form, PUBLIC).declaration_html
        assert text.startswith("By posting, you agree to TikTok's")
        assert MUSIC_URL in text and POLICY_URL not in text
    for form in (ready(disclose=True, brand_content=True),
                 ready(disclose=True, brand_content=True, brand_organic=True)):
        text = evaluate(form, PUBLIC).declaration_html
        assert "Branded Content Policy" in text and POLICY_URL in text and MUSIC_URL in text
    assert evaluate(PostForm(mode=PostMode.INBOX), None).declaration_html


def test_ux13_processing_notice_and_inbox_notice() -> None:
    assert "few minutes" in evaluate(ready(), PUBLIC).notice
    assert "inbox" in evaluate(PostForm(mode=PostMode.INBOX), None).notice


def test_inbox_mode_needs_no_privacy_or_creator_info() -> None:
    state = evaluate(PostForm(mode=PostMode.INBOX), None)
    assert state.publish_enabled
    assert not state.comment_enabled and not state.brand_organic_enabled


def test_direct_mode_without_the_scope_says_how_to_fix() -> None:
    state = evaluate(ready(), PUBLIC, direct_allowed=False)
    assert not state.publish_enabled and "video.publish" in state.publish_tooltip


@pytest.mark.parametrize(("text", "units"), [
    ("", 0), ("abc", 3), ("é", 1), ("😀", 2), ("👍🏽", 4), ("中文", 2)])
def test_caption_counts_utf16_units(text: str, units: int) -> None:
    assert caption_units(text) == units


def test_caption_limit_and_broken_characters() -> None:
    at_limit = evaluate(ready(caption="a" * (MAX_CAPTION_UNITS - 2) + "😀"), PUBLIC)
    assert at_limit.publish_enabled and at_limit.caption_units == MAX_CAPTION_UNITS
    over = evaluate(ready(caption="a" * (MAX_CAPTION_UNITS - 1) + "😀"), PUBLIC)
    assert not over.publish_enabled and "1 character too long" in over.publish_tooltip
    broken = evaluate(ready(caption="hi \ud83d"), PUBLIC)
    assert broken.caption_units is None and "broken character" in broken.publish_tooltip


def test_hashtags_and_mentions_are_found() -> None:
    text = "Dinner #food #quick_meals with @mia.cooks, mail a@b.c"
    spans = [(text[s:s + n], kind) for s, n, kind in highlight_spans(text)]
    assert spans == [("#food", "#"), ("#quick_meals", "#"), ("@mia.cooks", "@")]


@pytest.mark.parametrize("caption, where", [
    ("hi\x00there", "(U+0000, NUL) at character 3,"),
    ("\x1b[31mred\x1b[0m", "(U+001B, ESC) at character 1 and 1 more after it,"),
    ("line\rover", "(U+000D, carriage return) at character 5,"),
    ("bell\x07", "(U+0007) at character 5,"),
    ("c1 \x9b31m", "(U+009B) at character 4,"),
])
def test_caption_control_characters_are_refused(caption: str, where: str) -> None:
    state = evaluate(ready(caption=caption), PUBLIC)
    assert not state.publish_enabled
    [problem] = state.problems
    assert problem == caption_control_problem(caption)
    assert problem.startswith(f"The caption contains an invisible control character {where}")
    assert problem.endswith("Delete it and type that part again.")


def test_line_breaks_and_tabs_stay_allowed_in_captions() -> None:
    assert caption_control_problem("Line one\nLine two\t#fyp \U0001f3ac") is None
    assert evaluate(ready(caption="Line one\nLine two\t#fyp"), PUBLIC).publish_enabled
