"""The sensor model: saturation, per-cell gain, offsets and their warm-up drift, noise,
crosstalk, creep, dead and stuck cells, other ADC widths and grids."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from matd.sim.sensor import MatSensor, SensorParams
from matd.sim.source import Geometry

REF = Geometry()


def drawn(seed: int, geometry: Geometry = REF, **overrides: object) -> SensorParams:
    return replace(SensorParams.draw(np.random.default_rng(seed), geometry), **overrides)


def test_reading_saturates_like_p_over_p_plus_p_half():
    params = replace(SensorParams.ideal(), p_half_kpa=40.0)
    sensor = MatSensor(REF, params, 0)
    span = REF.full_scale * params.response_ceiling
    for p in (5.0, 20.0, 40.0, 120.0, 400.0):
        counts = sensor.counts(np.full((REF.rows, REF.cols), p), 0.0)
        assert counts.mean() == pytest.approx(span * p / (p + 40.0), abs=0.6)
    big = sensor.counts(np.full((REF.rows, REF.cols), 1e6), 0.0)
    assert big.max() <= REF.full_scale


def test_each_cell_has_its_own_gain_within_twenty_percent():
    params = drawn(
        3,
        noise_counts=0.0,
        offset_max_counts=0.0,
        warmup_drift_counts=0.0,
        warmup_drift_spread_counts=0.0,
        crosstalk=0.0,
        creep_fraction=0.0,
        dead_cells=(),
        stuck_cells=(),
    )
    sensor = MatSensor(REF, params, 0)
    counts = sensor.counts(
        np.full((REF.rows, REF.cols), params.p_half_kpa + params.activation_kpa), 0.0
    )
    ratio = counts / (REF.full_scale * params.response_ceiling * 0.5)
    assert ratio.min() >= 1 - params.gain_spread - 0.01
    assert ratio.max() <= 1 + params.gain_spread + 0.01
    assert ratio.std() > 0.03
    assert params.gain_spread <= 0.2


def test_an_empty_mat_reads_offsets_and_noise_that_drift_while_it_warms_up():
    params = drawn(
        5,
        warmup_age_s=0.0,
        warmup_drift_counts=30.0,
        warmup_tau_s=120.0,
        noise_counts=2.5,
        dead_cells=(),
        stuck_cells=(),
    )
    sensor = MatSensor(REF, params, 1)
    empty = np.zeros((REF.rows, REF.cols))
    cold = np.stack([sensor.counts(empty, t) for t in np.arange(0.0, 1.0, 0.02)]).astype(float)
    assert cold.mean(axis=0).max() <= params.offset_max_counts + 3 * 2.5
    # The noise: the spread of each cell's readings, where the offset keeps it off zero.
    lifted = sensor.offset_counts(0.0) > 10.0
    assert cold.std(axis=0)[lifted].mean() == pytest.approx(2.5, rel=0.2)
    warm = np.stack([sensor.counts(empty, t) for t in np.arange(300.0, 301.0, 0.02)]).astype(float)
    drift = warm.mean() - cold.mean()
    assert drift == pytest.approx(30.0 * (1 - np.exp(-300 / 120)), rel=0.25)
    assert 10.0 < drift < 60.0  # tens of counts over minutes


def test_dead_cells_read_zero_and_stuck_cells_read_high_whatever_the_load():
    params = drawn(7, dead_cells=((3, 4), (10, 70)), stuck_cells=((20, 20),))
    sensor = MatSensor(REF, params, 2)
    for p in (0.0, 30.0, 300.0):
        counts = sensor.counts(np.full((REF.rows, REF.cols), p), 1.0)
        assert counts[3, 4] == 0 and counts[10, 70] == 0
        assert counts[20, 20] >= 0.8 * REF.full_scale


def test_crosstalk_smears_a_loaded_cell_into_its_neighbours():
    params = replace(SensorParams.ideal(), crosstalk=0.03)
    sensor = MatSensor(REF, params, 0)
    p = np.zeros((REF.rows, REF.cols))
    p[16, 40] = 50.0
    counts = sensor.counts(p, 0.0).astype(float)
    centre = counts[16, 40]
    for r, c in ((15, 40), (17, 40), (16, 39), (16, 41)):
        assert counts[r, c] == pytest.approx(0.03 * centre, abs=1.0)
    assert counts[14, 40] == 0 and counts[15, 41] == 0


def test_creep_rises_a_few_percent_under_a_long_hold_and_recovers_when_unloaded():
    params = replace(SensorParams.ideal(), creep_fraction=0.04, creep_tau_s=30.0)
    sensor = MatSensor(REF, params, 0)
    p = np.zeros((REF.rows, REF.cols))
    p[5:8, 5:8] = 40.0
    first = float(sensor.counts(p, 0.0)[6, 6])
    t = 0.0
    while t < 120.0:
        t += 0.02
        last = float(sensor.counts(p, t)[6, 6])
    assert last / first - 1.0 == pytest.approx(0.04 * (1 - np.exp(-4)), abs=0.003)
    empty = np.zeros_like(p)
    t_off = t
    while t < t_off + 20.0:
        t += 0.02
        ghost = float(sensor.counts(empty, t)[6, 6])
    assert ghost < 0.01 * first  # recovers in seconds, not minutes
    estimate = sensor.pressure_from_counts(sensor.counts(p, t + 0.02), t + 0.02)
    assert estimate[6, 6] == pytest.approx(40.0, rel=0.03)


@pytest.mark.parametrize(
    "geometry",
    [
        Geometry(24, 60, 33000, 33000, 10),
        Geometry(32, 80, 25000, 25000, 16),
        Geometry(40, 100, 20000, 20000, 8),
    ],
)
def test_other_grids_and_adc_widths_scale_counts_to_their_full_scale(geometry):
    params = drawn(11, geometry)
    sensor = MatSensor(geometry, params, 3)
    hard = sensor.counts(np.full((geometry.rows, geometry.cols), 1e5), 0.0)
    assert hard.shape == (geometry.rows, geometry.cols) and hard.dtype == np.uint16
    assert int(hard.max()) <= geometry.full_scale
    assert np.median(hard) > 0.8 * geometry.full_scale
    empty = sensor.counts(np.zeros((geometry.rows, geometry.cols)), 0.0)
    assert np.median(empty) < 0.03 * geometry.full_scale


def test_drawn_sensors_stay_within_the_signals_ranges():
    for seed in range(200):
        p = SensorParams.draw(np.random.default_rng(seed), REF)
        assert 30.0 <= p.p_half_kpa <= 80.0
        assert p.gain_spread <= 0.2
        assert 1.0 <= p.noise_counts <= 4.0
        assert 0.0 <= p.offset_max_counts <= 60.0
        assert 0.02 <= p.creep_fraction <= 0.06
        assert len(p.dead_cells) <= 3 and len(p.stuck_cells) <= 2
