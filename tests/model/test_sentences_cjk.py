"""Tests for splitting Chinese (and mixed) text: the cases in fixtures/zh_sentences.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from model.text.sentences import split_sentences
from tests.model.test_sentences import assert_offsets

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "fixtures" / "zh_sentences.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_chinese_sentences(case: dict[str, Any]) -> None:
    assert [s.text for s in split_sentences(case["text"])] == case["sentences"]
    assert_offsets(case["text"])


def test_the_cases_hold_a_few_dozen_sentences() -> None:
    assert sum(len(case["sentences"]) for case in CASES) >= 40


def test_one_chinese_word_does_not_change_english_splitting() -> None:
    text = "The word 的 is the most common one. Mr. Smith said so! Did he?"
    assert [s.text for s in split_sentences(text)] == [
        "The word 的 is the most common one.",
        "Mr. Smith said so!",
        "Did he?",
    ]


def test_offsets_of_a_long_mixed_text_are_exact() -> None:
    text = "\n\n".join(case["text"] for case in CASES)
    expected = [s for case in CASES for s in case["sentences"]]
    assert [s.text for s in split_sentences(text)] == expected
    assert_offsets(text)
