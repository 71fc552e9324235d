import math

import numpy as np
import pytest

from minimarket.forecast import metrics


def test_wape_bias_mae():
    actual = [10, 0, 5]
    pred = [8, 1, 5]
    assert metrics.mae(actual, pred) == pytest.approx(1.0)
    assert metrics.wape(actual, pred) == pytest.approx(3 / 15)
    assert metrics.bias(actual, pred) == pytest.approx(-1 / 15)


def test_wape_undefined_without_sales():
    assert math.isnan(metrics.wape([0, 0], [1, 1]))


def test_mase_scale_uses_seasonal_lag():
    history = np.array([1, 2, 3, 1, 2, 3, 1, 2, 3], dtype=float)
    assert metrics.mase_scale(history, season=3) == 0.0
    assert metrics.mase_scale(history, season=1) == pytest.approx(np.mean(np.abs(np.diff(history))))
    assert math.isnan(metrics.mase([1], [2], 0.0))
    assert metrics.pooled_mase([1.0, 2.0, 5.0], [1.0, 2.0, float("nan")]) == pytest.approx(1.0)


def test_pinball_and_coverage():
    assert metrics.pinball_loss([10], [8], 0.9) == pytest.approx(0.9 * 2)
    assert metrics.pinball_loss([10], [12], 0.9) == pytest.approx(0.1 * 2)
    assert metrics.coverage([1, 5, 9], [0, 0, 0], [4, 6, 8]) == pytest.approx(2 / 3)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError):
        metrics.mae([1, 2], [1])
