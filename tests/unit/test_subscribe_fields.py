"""Subscribe-message values: every value is made to fit its field type, Chinese-safe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from integrations.wechat.subscribe_fields import KINDS, fit, kind_of, length, violation

LONG_CHINESE = "市场监督管理局食品经营许可证核发及变更延续注销补办一件事联办"  # 30 characters
RARE = "𠮷"  # outside the BMP: two UTF-16 units, as the mini-program counts it


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("thing1", "thing"),
        ("thing12", "thing"),
        ("character_string2", "character_string"),
        ("phrase3", "phrase"),
        ("time4", "time"),
        ("amount5", "amount"),
        ("name6", "name"),
        ("phone_number7", "phone_number"),
    ],
)
def test_the_key_names_its_field_type(key: str, kind: str) -> None:
    assert kind_of(key) == kind


@pytest.mark.parametrize("key", ["thing", "foo1", "Thing1", "1thing", "thing_1"])
def test_a_key_without_a_known_type_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="not a subscribe-message data key"):
        kind_of(key)


def test_a_long_chinese_thing_is_cut_to_20_characters_ending_with_an_ellipsis() -> None:
    value = fit("thing", LONG_CHINESE)

    assert value == LONG_CHINESE[:19] + "…"
    assert len(value) == 20
    assert violation("thing", value) is None
    assert violation("thing", LONG_CHINESE) is not None


def test_a_thing_that_fits_is_left_alone_except_for_line_breaks() -> None:
    assert fit("thing", "请补正：居民身份证") == "请补正：居民身份证"
    assert fit("thing", "原因：材料\n不全  请重交") == "原因：材料 不全 请重交"
    assert fit("thing", "一" * 20) == "一" * 20


def test_a_rare_character_counts_twice_and_is_never_split() -> None:
    value = fit("thing", "张" * 18 + RARE + "三")  # 18 + 2 + 1 = 21 units

    assert value == "张" * 18 + "…"  # the rare character does not fit whole: it goes
    assert length(value) == 19
    assert fit("thing", "张" * 17 + RARE + "三") == "张" * 17 + RARE + "三"  # exactly 20


def test_a_phrase_keeps_five_chinese_characters_without_an_ellipsis() -> None:
    assert fit("phrase", "审批通过并已出证") == "审批通过并"
    assert fit("phrase", "已受理") == "已受理"
    assert fit("phrase", "OK已通过!") == "已通过"  # a phrase is Chinese only
    assert fit("phrase", "") == "无"
    assert violation("phrase", "审批通过并已") is not None
    assert violation("phrase", "ok") is not None


def test_a_name_is_ten_chinese_characters_or_twenty_letters() -> None:
    assert fit("name", "阿卜杜热合曼买买提艾力江") == "阿卜杜热合曼买买提艾"
    assert fit("name", "Alexander Christopher Smith") == "Alexander Christophe"
    assert violation("name", "王A") is not None
    assert violation("name", fit("name", "王A")) is None


def test_a_character_string_keeps_32_letters_digits_and_symbols_and_drops_chinese() -> None:
    number = "20261124-XK00123-000042"
    assert fit("character_string", number) == number
    assert fit("character_string", "编号 JY-1310 文号") == "JY-1310"
    long = "A" * 40
    assert fit("character_string", long) == "A" * 32  # no ellipsis: not an ASCII symbol
    assert violation("character_string", "JY-1310") is None
    assert violation("character_string", "文号1") is not None
    assert violation("character_string", "A" * 33) is not None


def test_times_are_shown_in_beijing_time() -> None:
    at = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)

    value = fit("time", at)

    assert value == "2026年3月2日 09:30"
    assert violation("time", value) is None
    assert fit("time", at.astimezone(timezone(timedelta(hours=-5)))) == value
    assert fit("date", date(2026, 3, 9)) == "2026年3月9日"


def test_amounts_are_fen_shown_as_yuan() -> None:
    assert fit("amount", 20050) == "200.50元"
    assert fit("amount", 5) == "0.05元"
    assert violation("amount", "200.50元") is None
    assert violation("amount", "两百元") is not None


@pytest.mark.parametrize("kind", sorted(KINDS - {"time", "date", "amount"}))
def test_whatever_text_comes_in_the_fitted_value_is_valid(kind: str) -> None:
    for text in [LONG_CHINESE, "x" * 50, "", "  ", "A1-_#", "王" * 30 + "abc", RARE * 20]:
        value = fit(kind, text)
        assert violation(kind, value) is None, (kind, text, value)


def test_an_unknown_field_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        fit("emoji", "x")


def test_control_characters_never_reach_wechat_or_the_database() -> None:
    value = fit("thing", "原因\x00：材料\u200b不全\ud800")

    assert value == "原因：材料不全"
