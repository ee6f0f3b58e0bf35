"""The batched pipeline's windows, and the speech its first pass left out."""

from __future__ import annotations

from workers.engines.chunks import WINDOW_S, Window, gap_clips, uncovered, window_of, windows


def test_speech_is_grouped_into_contiguous_windows_of_at_most_30_s() -> None:
    speech = [(0.5, 4.0), (6.0, 12.0), (20.0, 29.0), (31.0, 40.0), (41.0, 69.0), (75.0, 80.0)]
    found = windows(speech)
    assert [(w.start, w.end) for w in found] == [(0.5, 29.0), (31.0, 40.0), (41.0, 69.0),
                                                 (75.0, 80.0)]  # fmt: skip
    assert found[0].speech == [(0.5, 4.0), (6.0, 12.0), (20.0, 29.0)]
    assert all(w.end - w.start <= WINDOW_S for w in found)
    assert sum(len(w.speech) for w in found) == len(speech)
    assert windows([]) == []


def test_a_segment_belongs_to_the_window_it_starts_in() -> None:
    found = windows([(0.0, 10.0), (35.0, 50.0), (70.0, 90.0)])
    assert [window_of(found, t) for t in (0.0, 9.5, 35.0, 49.0, 69.999, 80.0)] == [0, 0, 1, 1, 2, 2]


def test_speech_no_segment_covers_is_found_and_short_slips_are_not() -> None:
    window = Window(0.0, 30.0, [(0.0, 12.0), (14.0, 30.0)])
    # The first sentence (0-3.5 s) and the last 5 s were left out; a 0.2 s slip between
    # two segments is within the timestamps' precision.
    segments = [(3.5, 8.0), (8.2, 12.0), (14.0, 25.0)]
    gaps = uncovered(window, segments)
    assert len(gaps) == 2
    (first_start, first_end), (last_start, last_end) = gaps
    assert first_start == 0.0 and 3.0 <= first_end <= 3.5
    assert 25.0 < last_start <= 25.5 and 29.9 <= last_end <= 30.1
    assert uncovered(window, [(0.0, 12.0), (14.0, 30.0)]) == []
    assert uncovered(Window(0.0, 2.0, [(0.0, 0.8)]), []) == [], "under a second is no gap"


def test_gap_clips_are_padded_clamped_and_never_longer_than_a_window() -> None:
    clips = gap_clips([(0.1, 3.0), (58.0, 59.9), (100.0, 140.0)], duration_s=60.0)
    assert clips[0] == {"start": 0.0, "end": 3.3}
    assert clips[1] == {"start": 57.7, "end": 60.0}
    assert gap_clips([(100.0, 140.0)], duration_s=200.0) == [{"start": 99.7, "end": 129.7}]


def test_windows_are_shared_out_across_replicas() -> None:
    from workers.engines.faster_whisper import share_out

    assert share_out([], 2, 2) == []
    assert share_out([30], 2, 2) == [[0]]
    assert share_out([30, 30], 2, 2) == [[0], [1]]  # both replicas busy, not one batch of two
    # One round: longest first to the batch with the least audio, so both finish together.
    assert share_out([30, 25, 5], 2, 2) == [[0], [1, 2]]
    assert share_out([5, 25, 30], 2, 2) == [[2], [0, 1]]
    assert share_out([28, 29, 30, 27], 2, 2) == [[2, 3], [0, 1]]
    # Several rounds: in the note's order, as even as can be.
    assert share_out([30] * 5, 2, 2) == [[0, 1], [2, 3], [4]]
    assert share_out([30] * 9, 2, 4) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    for n in range(1, 30):
        for replicas, most in ((1, 4), (2, 2), (2, 4), (4, 2)):
            lengths = [float((7 * k) % 29 + 1) for k in range(n)]
            batches = share_out(lengths, replicas, most)
            assert sorted(k for b in batches for k in b) == list(range(n))
            assert all(0 < len(b) <= most for b in batches)
            assert len(batches) >= min(n, replicas)
