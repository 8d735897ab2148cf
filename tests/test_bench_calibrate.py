"""bench/calibrate.py: tuning families only, and a fit that does not trust thin evidence."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
import calibrate  # bench/calibrate.py

from tests.corpus.families import SPLITS


def test_the_fit_refuses_a_held_out_family_before_making_anything(tmp_path: Path) -> None:
    held_out = SPLITS["heldout"][0]
    out = tmp_path / "out"
    with pytest.raises(SystemExit):
        calibrate.main(["--families", SPLITS["tuning"][0], held_out, "--out", str(out)])
    assert not out.exists()


def _points(score: float, total: int, right: int) -> list[calibrate.Point]:
    return [("nik", "ocr", score, index < right) for index in range(total)]


def test_a_thin_top_bin_is_not_trusted_beyond_the_bins_below_it() -> None:
    points = _points(0.75, 50, 30) + _points(0.95, 400, 398) + _points(0.99, 5, 5)
    steps = calibrate.fit_steps(points, z=2.326)
    chances = [chance for _, chance in steps]
    assert steps[0][0] == 0.0 and chances == sorted(chances)
    assert calibrate.step_at(steps, 0.75) < 0.7  # right 3 times in 5: flagged
    assert 0.95 < calibrate.step_at(steps, 0.95) < 398 / 400  # a lower bound of 99.5%
    assert calibrate.step_at(steps, 0.99) == calibrate.step_at(steps, 0.95)  # 5 of 5 proves little


def test_bins_whose_accuracy_falls_as_the_score_rises_are_pooled() -> None:
    points = _points(0.8, 100, 95) + _points(0.9, 100, 85)
    steps = calibrate.fit_steps(points, z=1.0)
    assert calibrate.step_at(steps, 0.8) == calibrate.step_at(steps, 0.9) < 0.9


def test_the_lower_of_two_maps_is_below_both_and_still_rises() -> None:
    first = [(0.0, 0.1), (0.7, 0.6), (0.9, 0.97)]
    second = [(0.0, 0.2), (0.8, 0.9), (0.95, 0.95)]
    lower = calibrate.lower_of(first, second)
    for score in (0.0, 0.5, 0.7, 0.75, 0.8, 0.9, 0.95, 1.0):
        want = min(calibrate.step_at(first, score), calibrate.step_at(second, score))
        assert calibrate.step_at(lower, score) == want
    assert [c for _, c in lower] == sorted(c for _, c in lower)
