import pytest

from worldjepa.evaluation.stats import wilson_interval


def test_wilson_known_values():
    # 8/10 -> [0.490, 0.943] (standard table value for the 95% Wilson interval)
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-3)
    assert hi == pytest.approx(0.9433, abs=1e-3)


def test_wilson_edges_stay_in_unit_interval():
    assert wilson_interval(0, 50)[0] == pytest.approx(0.0, abs=1e-12)
    assert 0.0 < wilson_interval(0, 50)[1] < 0.1
    assert wilson_interval(50, 50)[1] == pytest.approx(1.0, abs=1e-12)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_narrows_with_more_episodes():
    w_small = wilson_interval(40, 50)
    w_big = wilson_interval(400, 500)
    assert (w_big[1] - w_big[0]) < (w_small[1] - w_small[0])
