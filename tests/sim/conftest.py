"""Helpers for the simulator's tests: build scenes with a chosen placement, render them, and
measure what the frames show with plain NumPy (never the daemon's own detector)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from matd.sim.body import BodyFrame, Person
from matd.sim.scenario import ScenarioMatSource, Scene, Script, Step
from matd.sim.sensor import MatSensor, SensorParams
from matd.sim.source import Geometry

FloatArray = npt.NDArray[np.float64]


@dataclass
class Rendered:
    """One scan as the mat sends it, and the pressure estimated back from it."""

    t: float
    counts: npt.NDArray[np.uint16]
    pressure_kpa: FloatArray


class MatKit:
    """Builds scenes and measures frames: loads, shares and centres of pressure."""

    def __init__(self, geometry: Geometry | None = None) -> None:
        geometry = geometry or Geometry()
        self.geometry = geometry
        g = geometry
        self.cell_m2 = g.row_pitch_um * g.col_pitch_um * 1e-12
        x = (np.arange(g.cols) + 0.5) * g.col_pitch_um / 1000.0
        y = (np.arange(g.rows) + 0.5) * g.row_pitch_um / 1000.0
        self.x, self.y = np.meshgrid(x, y)

    def scene(
        self,
        steps: Sequence[Step],
        *,
        seed: int = 0,
        heading_deg: float = 0.0,
        sensor: SensorParams | None = None,
        person: Person | None = None,
        centre_shift_mm: tuple[float, float] = (0.0, 0.0),
    ) -> tuple[ScenarioMatSource, Scene]:
        """A scene whose push-up pattern is centred on the mat, turned by heading_deg."""
        rng = np.random.default_rng(seed)
        person = person or Person.draw(rng)
        params = sensor or SensorParams.draw(rng, self.geometry)
        h = math.radians(heading_deg)
        length = self.geometry.cols * self.geometry.col_pitch_um / 1000.0
        width = self.geometry.rows * self.geometry.row_pitch_um / 1000.0
        # Centre the box around both hands and the toes on the mat.
        at_origin = BodyFrame(0.0, 0.0, h)
        half_span = person.hand_span_m / 2
        corners = [
            at_origin.at(0.1, half_span),
            at_origin.at(0.1, -half_span),
            at_origin.at(-person.hand_to_toe_m, person.toe_gap_m / 2 + 0.05),
            at_origin.at(-person.hand_to_toe_m, -person.toe_gap_m / 2 - 0.05),
        ]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        frame = BodyFrame(
            length / 2 - (max(xs) + min(xs)) / 2 + centre_shift_mm[0],
            width / 2 - (max(ys) + min(ys)) / 2 + centre_shift_mm[1],
            h,
        )
        script = Script("test", seed, self.geometry, person, frame, {}, params, list(steps))
        scene = Scene(script, rng)
        return ScenarioMatSource(scene, MatSensor(self.geometry, params, seed), 0.0), scene

    def play(
        self, source: ScenarioMatSource, times: Sequence[float], rate_hz: float = 50.0
    ) -> list[Rendered]:
        """Renders every frame at rate_hz from 0 (the sensor's state runs on) and keeps the
        scans nearest the asked times, each with its pressure estimated back."""
        wanted = sorted(times)
        out: list[Rendered] = []
        k = 0
        for t in wanted:
            while (k + 1) / rate_hz <= t:
                source.render(k / rate_hz)
                k += 1
            counts = source.render(t)
            out.append(Rendered(t, counts, source.sensor.pressure_from_counts(counts, t)))
            k = max(k, math.ceil(t * rate_hz + 1e-9))
        return out

    @staticmethod
    def around_a_set(**options: object) -> list[Step]:
        """Step on, stand behind the hands, the set, then rest on all fours."""
        return [
            Step("absent", 0.5),
            Step("stand", 1.0, spot=(-0.4, 0.0, 0.0)),
            Step("set", options=dict(options)),
            Step("pose", 3.0, pose="all_fours"),
        ]

    def force_n(self, pressure_kpa: FloatArray) -> float:
        return float(pressure_kpa.sum() * self.cell_m2 * 1000.0)

    def body_coords(self, frame: BodyFrame) -> tuple[FloatArray, FloatArray]:
        """Each cell centre's (forward, left) in metres in the person's body frame."""
        fx, fy = frame.forward()
        dx, dy = self.x - frame.x_mm, self.y - frame.y_mm
        return (dx * fx + dy * fy) / 1000.0, (-dx * fy + dy * fx) / 1000.0

    def hands_share(self, pressure_kpa: FloatArray, frame: BodyFrame, reach_m: float) -> float:
        """The hands' share of the load: cells nearer the hands than the feet (or knees)."""
        f, _ = self.body_coords(frame)
        hands = float(pressure_kpa[f > -reach_m / 2].sum())
        total = float(pressure_kpa.sum())
        return hands / total

    def axis_u(self, pressure_kpa: FloatArray, frame: BodyFrame, reach_m: float) -> float:
        """u as SIGNALS.md defines it: the global CoP projected on the axis from the feet's
        load centroid to the hands' load centroid."""
        f, _ = self.body_coords(frame)
        p = pressure_kpa
        front = f > -reach_m / 2
        hx, hy = self.centroid(np.where(front, p, 0.0))
        fx_, fy_ = self.centroid(np.where(front, 0.0, p))
        cx, cy = self.centroid(p)
        ax, ay = hx - fx_, hy - fy_
        return ((cx - fx_) * ax + (cy - fy_) * ay) / (ax * ax + ay * ay)

    def centroid(self, pressure_kpa: FloatArray) -> tuple[float, float]:
        w = float(pressure_kpa.sum())
        return float((pressure_kpa * self.x).sum() / w), float((pressure_kpa * self.y).sum() / w)


@pytest.fixture
def kit() -> MatKit:
    return MatKit()
