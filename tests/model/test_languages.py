"""Tests for the CJK rules: words, word counts, character n-grams, languages by script."""

from __future__ import annotations

import re

import pytest

from model.text.languages import (
    character_ngrams,
    has_cjk,
    languages_of,
    runs,
    script_language,
    units,
    word_count,
)


def test_units_are_words_without_cjk_and_characters_with_it() -> None:
    english = "The U.S. economy grew 2.5% in 2024, officials said."
    assert units(english) == re.findall(r"\w+", english.lower())
    assert units("苹果公司发布iPhone 16。") == ["苹", "果", "公", "司", "发", "布", "iphone", "16"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, world — again.", 4),  # whitespace words, as before
        ("北京今天下雨。", 6),  # a character is a word; 。 is not
        ("苹果发布了 iPhone 16 手机！", 9),  # 5 characters, 2 words, 2 characters
        ("　　“你好！”", 2),  # spaces and punctuation standing alone are no words
        ("今日は雨です。", 6),  # kana count as characters too
    ],
)
def test_word_count(text: str, words: int) -> None:
    assert word_count(text) == words


def test_runs_alternate_between_cjk_and_other_text() -> None:
    assert runs("在London开会。") == [
        (True, "在"),
        (False, "London"),
        (True, "开会"),
        (False, "。"),
    ]
    assert not has_cjk("Korean is spaced: 한국어 문장") and has_cjk("漢字")


def test_character_ngrams_need_no_word_boundaries() -> None:
    assert character_ngrams("北京下雨，Rain!", sizes=[2]) == [
        "北京",
        "京下",
        "下雨",
        "ra",
        "ai",
        "in",
    ]
    assert character_ngrams("雨 a", sizes=[2]) == ["雨", "a"]  # a short run is a gram of its own
    assert character_ngrams("北京") == ["北", "京", "北京"]


def test_languages_by_script() -> None:
    assert script_language("北京今天下雨，Apple发布了新手机。") == "zh"
    assert script_language("今日は雨が降りました。") == "ja"
    assert script_language("오늘은 비가 옵니다.") == "ko"
    assert script_language("It rains in 北京 today.") == "en"
    assert script_language("12345") == "en"
    assert languages_of(["下雨了。", "It rains.", "又下雨了。"]) == ["zh", "en"]
