"""The one validated configuration model, built from TOML, MATD_* variables and flags.

Precedence, lowest first: defaults, the TOML file, environment variables, command-line
flags. Unknown keys anywhere are errors that name the key (exit code 2 at the CLI).

Environment variables: `MATD_<FIELD>` for top-level fields (MATD_DEVICE_ID) and
`MATD_<SECTION>_<FIELD>` for a section's field (MATD_MQTT_HOST, MATD_HTTP_PORT).
"""

from __future__ import annotations

import os
import re
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


class ConfigError(ValueError):
    """A configuration problem; the message names the key and what is wrong."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class MatConfig(_Section):
    port: str | None = Field(None, description="device path or pyserial URL; none = probe USB")
    usb_vid: int = Field(0x1209, description="USB vendor id of the mat, probed first")
    usb_pid: int = Field(0x4D41, description="USB product id of the mat, probed first")
    baudrate: int = Field(921600, gt=0, description="UART baud rate (ignored by USB CDC)")
    reconnect_max_s: float = Field(
        1.0, gt=0, le=2.0, description="longest wait between reconnect attempts"
    )


class CalibrationConfig(_Section):
    p_half_kpa: float = Field(50.0, gt=0, description="pressure at half the ADC's full scale")
    response_clip: float = Field(
        0.85,
        gt=0,
        lt=1,
        description="read no cell above this share of full scale: near saturation, inverting"
        " the response turns a cell's gain error (±20%) into a many-fold pressure error",
    )
    noise_sigmas: float = Field(5.0, gt=0, description="noise floor, in noise std devs")
    min_noise_counts: float = Field(6.0, ge=0, description="lowest noise floor, ADC counts")
    baseline_tau_s: float = Field(20.0, gt=0, description="empty-mat baseline time constant")
    stuck_fraction: float = Field(
        0.6, gt=0, le=1, description="an empty-mat cell above this share of full scale is stuck"
    )
    contact_min_cells: int = Field(2, ge=1, description="smaller blobs are ignored as noise")
    contact_min_kpa: float = Field(1.0, ge=0, description="cells above this pressure form contacts")


class DetectorConfig(_Section):
    """Thresholds of the detector (SIGNALS.md): in configuration so real data can retune them."""

    pattern_stable_s: float = Field(1.0, gt=0, description="pattern held this long starts a set")
    pattern_stable_u_range: float = Field(
        0.04, gt=0, description="u may move this much in the stable second before a set"
    )
    pattern_gone_s: float = Field(1.5, gt=0, description="pattern gone this long ends a set")
    limb_gap_mm: float = Field(45.0, ge=0, description="closer patches are one limb")
    max_angle_deg: float = Field(35.0, gt=0, le=90, description="body axis vs the mat's long side")
    palm_min_cm2: float = Field(30.0, ge=0)
    palm_max_cm2: float = Field(
        320.0, gt=0, description="a heavy person's palm on a 33 mm grid reads up to 305 cm²"
    )
    palm_max_len_mm: float = Field(280.0, gt=0)
    hands_gap_min_mm: float = Field(150.0, ge=0, description="lateral distance between palms")
    hands_gap_max_mm: float = Field(950.0, gt=0)
    toes_max_cm2: float = Field(200.0, gt=0, description="a bigger support contact is a knee")
    toes_max_len_mm: float = Field(130.0, gt=0, description="a longer support contact is a shin")
    knee_max_cm2: float = Field(700.0, gt=0, description="a bigger contact is a seat or a body")
    stray_max_share: float = Field(0.12, ge=0, lt=1, description="load on other contacts")
    toe_length_min_m: float = Field(0.75, gt=0, description="hands to toes, shortest")
    toe_length_max_m: float = Field(1.95, gt=0)
    knee_length_min_m: float = Field(0.45, gt=0, description="hands to knees+shins, shortest")
    knee_length_max_m: float = Field(1.3, gt=0)
    knee_reach_min_m: float = Field(
        0.53, gt=0, description="palms to the nearest knee; closer is kneeling on all fours"
    )
    toe_share_min: float = Field(0.5, ge=0, le=1, description="hands' share on toes")
    toe_share_max: float = Field(0.9, ge=0, le=1)
    knee_share_min: float = Field(0.465, ge=0, le=1, description="below: kneeling on all fours")
    knee_share_max: float = Field(0.7, ge=0, le=1)
    hold_share_margin: float = Field(
        0.05,
        ge=0,
        le=0.3,
        description="a set in progress keeps its pattern this far outside the share limits",
    )
    u_smoothing_s: float = Field(0.06, ge=0, description="low-pass time constant on u")
    rep_enter_u: float = Field(0.008, gt=0, description="rise in u that leaves the top")
    rep_min_depth_u: float = Field(0.015, gt=0, description="smallest swing in u that is a rep")
    rep_sure_depth_u: float = Field(
        0.05, gt=0, description="a swing this deep is a rep even without a load swing"
    )
    rep_min_load_swing: float = Field(
        0.04, ge=0, description="share the total load must swing by in a shallower rep"
    )
    rep_return_fraction: float = Field(0.45, gt=0, lt=1, description="back within this of top")
    rep_min_s: float = Field(0.4, gt=0)
    rep_max_s: float = Field(7.0, gt=0, description="longer down (with pauses) is no rep")
    partial_fraction: float = Field(0.6, gt=0, lt=1)
    sag_threshold_u: float = Field(
        0.012, gt=0, description="drop of top-u below baseline that, alone, makes half a sag"
    )
    sag_max_u: float = Field(0.08, gt=0, description="a deeper drop is not a sag (knees, leaving)")
    sag_release_u: float = Field(0.006, ge=0, description="back within this of baseline ends it")
    sag_confirm_s: float = Field(0.15, ge=0, description="evidence held this long starts a sag")
    sag_release_s: float = Field(0.6, ge=0, description="form held this long ends a sag")
    sag_hand_alone: float = Field(
        1.3, gt=0, description="palms' shift, in sag_hand_shift_mm, that alone starts a sag mid-rep"
    )
    sag_u_alone: float = Field(
        2.0, gt=0, description="drop of the top (in sag_threshold_u) that, held, is a sag alone"
    )
    sag_u_alone_s: float = Field(0.6, ge=0, description="how long sag_u_alone must hold")
    sag_hand_held: float = Field(
        1.0,
        gt=0,
        description="palms' shift (in sag_hand_shift_mm) that, held, starts a sag mid-rep",
    )
    sag_hand_held_s: float = Field(0.25, ge=0, description="how long sag_hand_held must hold")
    sag_hand_shift_mm: float = Field(
        3.0, gt=0, description="palms' own CoP toward the wrists that, alone, makes half a sag"
    )
    baseline_drift_s: float = Field(
        20.0, gt=0, description="time constant of following slow sensor creep in good form"
    )
    pike_threshold_u: float = Field(0.03, gt=0)
    baseline_plank_s: float = Field(2.0, gt=0)
    baseline_reps: int = Field(2, ge=1)
    calibration_file: str | None = Field(None, description="saved per-person good-form baseline")


class MqttConfig(_Section):
    enabled: bool = True
    host: str = "localhost"
    port: int = Field(1883, gt=0, lt=65536)
    username: str | None = None
    password: str | None = None
    password_file: str | None = Field(None, description="read the password from this file")
    client_id: str | None = Field(None, description="default: matd-<device_id>-<random>")
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    keepalive_s: int = Field(30, gt=0)
    tls: bool = False
    ca_file: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    tls_verify: bool = True
    base_topic: str = "matd"
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    event_queue_max: int = Field(1000, gt=0, description="events kept while the broker is away")
    reconnect_min_s: float = Field(1.0, gt=0)
    reconnect_max_s: float = Field(60.0, gt=0)
    health_interval_s: float = Field(30.0, gt=0)
    discovery_delay_max_s: float = Field(
        5.0, ge=0, description="longest random wait before answering Home Assistant's birth"
    )
    verify_publish: bool = Field(
        True, description="read back own topics to catch publishes an ACL silently drops"
    )
    verify_timeout_s: float = Field(5.0, gt=0, description="a publish not seen back is denied")

    @model_validator(mode="after")
    def _consistent(self) -> MqttConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("set password or password_file, not both")
        if (self.password is not None or self.password_file is not None) and not self.username:
            raise ValueError("a password needs a username")
        if self.keyfile and not self.certfile:
            raise ValueError("keyfile needs certfile")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must not be below reconnect_min_s")
        if not self.base_topic.strip("/") or any(c in self.base_topic for c in "+#"):
            raise ValueError("base_topic must be a non-empty topic without wildcards")
        if not self.discovery_prefix.strip("/") or any(c in self.discovery_prefix for c in "+#"):
            raise ValueError("discovery_prefix must be a non-empty topic without wildcards")
        return self


class HttpConfig(_Section):
    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = Field(8080, gt=0, lt=65536)
    token: str | None = None


def default_device_id() -> str:
    name = re.sub(r"[^a-z0-9_-]", "_", socket.gethostname().lower()).strip("_")
    return name or "mat"


def default_state_dir() -> str:
    if os.geteuid() == 0 and Path("/var/lib").is_dir():
        return "/var/lib/matd"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return str(Path(base) / "matd")


class Config(_Section):
    device_id: str = Field(default_factory=default_device_id)
    state_dir: str = Field(default_factory=default_state_dir)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    mat: MatConfig = Field(default_factory=MatConfig)
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)

    @field_validator("device_id")
    @classmethod
    def _device_id_chars(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]+", v):
            raise ValueError("must be lower-case letters, digits, '_' or '-'")
        return v


_SECTIONS = {"mat", "calibration", "detector", "mqtt", "http"}


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"config key '{key}': {msg}")
    return "; ".join(lines)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """MATD_* variables as a nested dict of strings (pydantic converts the types)."""
    out: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith("MATD_"):
            continue
        key = name[5:].lower()
        if key in ("cython_debug",):  # build-time switch, not daemon configuration
            continue
        section, _, field = key.partition("_")
        if section in _SECTIONS and field:
            out.setdefault(section, {})[field] = value
        else:
            out[key] = value
    return out


def load_config(
    path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the configuration. Raises ConfigError with a message naming the key."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: {exc}") from None
    data = _merge(data, env_overrides(os.environ if environ is None else environ))
    if overrides:
        data = _merge(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
