"""Edited transcripts keep their timing."""

from __future__ import annotations

from service.transcripts import TimedSpan, realign

OLD = [
    TimedSpan(0.0, 3.0, "I tried the breathing"),
    TimedSpan(3.0, 6.0, "and it kind of helped"),
    TimedSpan(6.0, 9.0, "my mom called after"),
]


def test_fixing_a_word_keeps_every_segment_in_place() -> None:
    new = realign(OLD, "I tried the breathing and it really helped my mum called after")
    assert [(s.start, s.end) for s in new] == [(0.0, 3.0), (3.0, 6.0), (6.0, 9.0)]
    assert [s.text for s in new] == [
        "I tried the breathing",
        "and it really helped",
        "my mum called after",
    ]


def test_deleting_a_sentence_drops_its_segment() -> None:
    new = realign(OLD, "I tried the breathing my mom called after")
    assert [(s.start, s.text) for s in new] == [
        (0.0, "I tried the breathing"),
        (6.0, "my mom called after"),
    ]


def test_added_words_join_the_segment_before_them() -> None:
    new = realign(OLD, "I tried the breathing twice and it kind of helped my mom called after")
    assert new[0].text == "I tried the breathing twice"


def test_text_without_old_segments_becomes_one_segment() -> None:
    assert realign([], "hello there") == [TimedSpan(0.0, 0.0, "hello there")]
    assert realign([], "   ") == []
    assert realign(OLD, "") == []
