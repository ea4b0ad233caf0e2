"""The mat's own clock: device time in µs, wrapping at 2^32, into monotonic seconds."""

from __future__ import annotations

WRAP = 1 << 32
# A step forward larger than this is not the next frame: the mat rebooted or the link was
# down. Time then moves on by one nominal frame and the gap is reported to the caller.
MAX_STEP_US = 10_000_000


class DeviceClock:
    def __init__(self, nominal_step_s: float = 0.02) -> None:
        self._last_raw: int | None = None
        self._t = 0.0
        self.nominal_step_s = nominal_step_s
        self.discontinuities = 0

    def reset(self) -> None:
        """Forget the last reading (after a reconnect); time keeps going forward."""
        self._last_raw = None

    def to_seconds(self, device_time_us: int) -> float:
        raw = device_time_us & 0xFFFFFFFF
        if self._last_raw is None:
            if self._t == 0.0:
                self._t = raw / 1e6
            else:
                self._t += self.nominal_step_s + 2.0  # a reconnect: leave a visible gap
                self.discontinuities += 1
        else:
            step = (raw - self._last_raw) % WRAP
            if step > MAX_STEP_US:
                self.discontinuities += 1
                self._t += self.nominal_step_s + 2.0
            else:
                self._t += step / 1e6
        self._last_raw = raw
        return self._t
