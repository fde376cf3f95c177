"""Tests for sentence splitting: offsets, abbreviations, PTB mode, paragraphs and odd input."""

from __future__ import annotations

import pytest

from model.text.sentences import looks_ptb_tokenized, split_sentences

NEWS = (
    "Dr. Smith flew to Washington D.C. on Monday. He met Mr. Jones of the U.S. Army at 3 p.m. "
    'yesterday! "Is it true?" he asked.\n\nA new paragraph has no final stop\n\n'
    "And the last one ends here."
)


def assert_offsets(text: str) -> None:
    """Every sentence is exactly its slice of the text, in order, without outer whitespace."""
    previous_end = 0
    for index, sentence in enumerate(split_sentences(text)):
        assert sentence.index == index
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
        assert sentence.start >= previous_end
        previous_end = sentence.end


def test_news_text_splits_at_sentence_ends_only() -> None:
    texts = [s.text for s in split_sentences(NEWS)]
    assert texts == [
        "Dr. Smith flew to Washington D.C. on Monday.",
        "He met Mr. Jones of the U.S. Army at 3 p.m. yesterday!",
        '"Is it true?" he asked.',
        "A new paragraph has no final stop",
        "And the last one ends here.",
    ]
    assert_offsets(NEWS)


def test_paragraph_break_always_ends_a_sentence() -> None:
    text = "The first paragraph has no stop\n  \nthe second starts in lower case."
    assert [s.text for s in split_sentences(text)] == [
        "The first paragraph has no stop",
        "the second starts in lower case.",
    ]


def test_ptb_text_is_detected_and_split_on_tokens() -> None:
    text = (
        "( cnn ) the u.s. army said it was `` ready . '' "
        "officials met at 3 p.m. on monday . what next ? nobody knows !"
    )
    assert looks_ptb_tokenized(text)
    assert [s.text for s in split_sentences(text)] == [
        "( cnn ) the u.s. army said it was `` ready . ''",
        "officials met at 3 p.m. on monday .",
        "what next ?",
        "nobody knows !",
    ]
    assert_offsets(text)


def test_mode_can_be_forced() -> None:
    text = "it costs 3 . 5 dollars . really"
    assert len(split_sentences(text, mode="ptb")) == 3
    assert not looks_ptb_tokenized("Plain text. With normal punctuation, like this.")


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", " \t\n \n "])
def test_whitespace_only_input_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "no punctuation at all",
        "...",
        "Ünïcödé façade. Ça va? Oui!",
        "Line one\nline two in the same paragraph.\r\n\r\nWindows paragraph.",
        "x" * 5000,
        "A. B. C. D.",
        NEWS * 3,
    ],
)
def test_offsets_hold_for_odd_input(text: str) -> None:
    assert_offsets(text)
    assert split_sentences(text)


def test_a_line_break_ends_a_sentence_unless_the_next_line_goes_on_in_lower_case() -> None:
    text = (
        "Photos: The storm in pictures\nThe storm hit the coast on Monday. It was a\n"
        "wrapped line.\nBy Jane Doe, CNN\nThe end."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Photos: The storm in pictures",
        "The storm hit the coast on Monday.",
        "It was a\nwrapped line.",
        "By Jane Doe, CNN",
        "The end.",
    ]
    assert_offsets(text)


def test_an_ellipsis_before_a_capitalised_word_ends_a_sentence() -> None:
    text = "Prices rose 2.5% last year… Officials were worried... Then it passed... and more."
    assert [s.text for s in split_sentences(text)] == [
        "Prices rose 2.5% last year…",
        "Officials were worried...",
        "Then it passed... and more.",
    ]
    assert_offsets(text)


def test_initials_and_number_signs_do_not_end_a_sentence() -> None:
    text = (
        "Harry Potter author J.K. Rowling replied. President George W. Bush spoke. "
        "The former world No. 7 returned. She moved to the U.S. The rest stayed. "
        "It was their Plan B. The plan failed."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Harry Potter author J.K. Rowling replied.",
        "President George W. Bush spoke.",
        "The former world No. 7 returned.",
        "She moved to the U.S.",
        "The rest stayed.",
        "It was their Plan B.",
        "The plan failed.",
    ]
    assert_offsets(text)
