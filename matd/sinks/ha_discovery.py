"""Home Assistant MQTT discovery for one mat: a single device-based discovery message.

One retained message on `<prefix>/device/<device_id>/config` declares the mat as a
device (`dev`), names matd as its origin (`o`) and lists every entity under `cmps`.
Entities read the daemon's own topics (state, event, set/last, health) through value
templates, so nothing is published twice for Home Assistant's sake. Publishing an
empty retained payload on the same topic removes the device and all its entities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Every event_type the detector may raise (SIGNALS.md); Home Assistant's event entity
# rejects a payload whose event_type is not listed here.
EVENT_TYPES = (
    "set_started",
    "rep",
    "sag_started",
    "sag_ended",
    "set_ended",
    "pike_started",
    "pike_ended",
    "calibration_done",
    "calibration_failed",
)

# The origin names matd and its version only: `support_url` is optional, and matd has
# no public home to point it at yet.
ORIGIN_NAME = "matd"

# The range Home Assistant's number entity offers for the sag threshold, in u. The
# daemon itself accepts anything in (0, 0.5); a slider up to 0.1 is what makes sense.
SAG_THRESHOLD_MIN_U = 0.001
SAG_THRESHOLD_MAX_U = 0.1
SAG_THRESHOLD_STEP_U = 0.001


@dataclass(frozen=True, slots=True)
class MatTopics:
    """The daemon's MQTT topics for one mat (CONTRACT.md, MQTT)."""

    base: str

    @classmethod
    def for_device(cls, base_topic: str, device_id: str) -> MatTopics:
        return cls(f"{base_topic.rstrip('/')}/{device_id}")

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def state(self) -> str:
        return f"{self.base}/state"

    @property
    def event(self) -> str:
        return f"{self.base}/event"

    @property
    def set_last(self) -> str:
        return f"{self.base}/set/last"

    @property
    def health(self) -> str:
        return f"{self.base}/health"

    @property
    def sag_threshold(self) -> str:
        """The sag threshold in force, retained, so the number entity shows it."""
        return f"{self.base}/sag_threshold"

    def cmd(self, name: str) -> str:
        return f"{self.base}/cmd/{name}"

    @property
    def cmd_wildcard(self) -> str:
        return f"{self.base}/cmd/+"


def discovery_topic(prefix: str, device_id: str) -> str:
    return f"{prefix.rstrip('/')}/device/{device_id}/config"


def ha_status_topic(prefix: str) -> str:
    """Where Home Assistant publishes its birth (`online`) and last will (`offline`)."""
    return f"{prefix.rstrip('/')}/status"


def _entity_slug(device_id: str) -> str:
    # Entity ids allow [a-z0-9_] only; device ids may also hold '-'.
    return device_id.replace("-", "_")


def build_discovery(
    *,
    device_id: str,
    topics: MatTopics,
    version: str,
    health_interval_s: float,
    configuration_url: str | None = None,
) -> dict[str, Any]:
    """The device-based discovery payload (abbreviated keys where Home Assistant has them)."""
    slug = _entity_slug(device_id)
    # Health is repeated every health_interval_s; three missed rounds mean the daemon
    # (or its link to the broker) is gone even if no last will arrived.
    health_expiry = round(3 * health_interval_s)

    def entity(platform: str, key: str, name: str, **options: Any) -> dict[str, Any]:
        comp: dict[str, Any] = {
            "p": platform,
            "name": name,
            "uniq_id": f"matd_{device_id}_{key}",
            "def_ent_id": f"{platform}.{slug}_{key}",
        }
        comp.update(options)
        return comp

    def state_value(expr: str) -> str:
        return "{{ " + expr + " }}"

    cmps: dict[str, dict[str, Any]] = {
        "reps": entity(
            "sensor",
            "reps",
            "Reps",
            stat_t=topics.state,
            val_tpl=state_value("value_json.reps"),
            unit_of_meas="reps",
            stat_cla="measurement",
            ic="mdi:counter",
        ),
        "partial_reps": entity(
            "sensor",
            "partial_reps",
            "Partial reps",
            stat_t=topics.state,
            val_tpl=state_value("value_json.partial_reps"),
            unit_of_meas="reps",
            stat_cla="measurement",
            ic="mdi:counter",
        ),
        "phase": entity(
            "sensor",
            "phase",
            "Phase",
            stat_t=topics.state,
            val_tpl=state_value("value_json.phase"),
            dev_cla="enum",
            ops=["idle", "occupied", "plank", "set"],
            ic="mdi:human-handsdown",
        ),
        "hands_share": entity(
            "sensor",
            "hands_share",
            "Hands' share",
            stat_t=topics.state,
            val_tpl=state_value(
                "none if value_json.hands_share is none"
                " else (value_json.hands_share * 100) | round(1)"
            ),
            unit_of_meas="%",
            stat_cla="measurement",
            sug_dsp_prc=1,
            ic="mdi:hand-back-right",
        ),
        "load": entity(
            "sensor",
            "load",
            "Load",
            stat_t=topics.state,
            val_tpl=state_value("value_json.load | round(0)"),
            unit_of_meas="N",
            stat_cla="measurement",
            sug_dsp_prc=0,
            ic="mdi:weight",
            # It changes with every breath: off by default to spare the recorder.
            en=False,
        ),
        "sag": entity(
            "binary_sensor",
            "sag",
            "Hip sag",
            stat_t=topics.state,
            val_tpl=state_value("'ON' if value_json.sag else 'OFF'"),
            dev_cla="problem",
        ),
        "set_active": entity(
            "binary_sensor",
            "set_active",
            "Set active",
            stat_t=topics.state,
            val_tpl=state_value("'ON' if value_json.phase == 'set' else 'OFF'"),
            dev_cla="running",
        ),
        "last_set": entity(
            "sensor",
            "last_set",
            "Last set",
            stat_t=topics.set_last,
            val_tpl=state_value("value_json.reps"),
            unit_of_meas="reps",
            stat_cla="measurement",
            json_attr_t=topics.set_last,
            ic="mdi:arm-flex",
        ),
        "last_set_duration": entity(
            "sensor",
            "last_set_duration",
            "Last set duration",
            stat_t=topics.set_last,
            val_tpl=state_value("value_json.duration_s | round(1)"),
            dev_cla="duration",
            unit_of_meas="s",
            stat_cla="measurement",
        ),
        "workout": entity(
            "event",
            "workout",
            "Workout",
            stat_t=topics.event,
            evt_typ=list(EVENT_TYPES),
            ic="mdi:arm-flex-outline",
        ),
        "tare": entity(
            "button",
            "tare",
            "Tare",
            cmd_t=topics.cmd("tare"),
            pl_prs="PRESS",
            ent_cat="config",
            ic="mdi:scale-balance",
        ),
        "calibrate": entity(
            "button",
            "calibrate",
            "Calibrate form",
            cmd_t=topics.cmd("calibrate"),
            pl_prs="PRESS",
            ent_cat="config",
            ic="mdi:target-account",
        ),
        "end_set": entity(
            "button",
            "end_set",
            "End set",
            cmd_t=topics.cmd("end_set"),
            pl_prs="PRESS",
            ic="mdi:stop-circle-outline",
        ),
        "sag_threshold": entity(
            "number",
            "sag_threshold",
            "Sag threshold",
            cmd_t=topics.cmd("sag_threshold"),
            stat_t=topics.sag_threshold,
            min=SAG_THRESHOLD_MIN_U,
            max=SAG_THRESHOLD_MAX_U,
            step=SAG_THRESHOLD_STEP_U,
            mode="box",
            unit_of_meas="u",
            ent_cat="config",
            ic="mdi:tune-vertical",
        ),
        "mat_link": entity(
            "binary_sensor",
            "mat_link",
            "Mat link",
            stat_t=topics.health,
            # Health may come before the mat's link has been seen: then it is down.
            val_tpl=state_value("'ON' if value_json.link_up | default(false) else 'OFF'"),
            dev_cla="connectivity",
            ent_cat="diagnostic",
            exp_aft=health_expiry,
        ),
        "frame_rate": entity(
            "sensor",
            "frame_rate",
            "Frame rate",
            stat_t=topics.health,
            val_tpl=state_value(
                "value_json.frames_per_s | round(1) if value_json.frames_per_s is defined else none"
            ),
            dev_cla="frequency",
            unit_of_meas="Hz",
            stat_cla="measurement",
            ent_cat="diagnostic",
            exp_aft=health_expiry,
        ),
        "lost_frames": entity(
            "sensor",
            "lost_frames",
            "Lost frames",
            stat_t=topics.health,
            val_tpl=state_value(
                "value_json.lost_frames if value_json.lost_frames is defined else none"
            ),
            stat_cla="total_increasing",
            ent_cat="diagnostic",
            exp_aft=health_expiry,
            ic="mdi:alert-circle-outline",
        ),
    }

    dev: dict[str, Any] = {
        "ids": [f"matd_{device_id}"],
        "name": f"Push-up mat {device_id}",
        "mf": "matd",
        "mdl": "Smart push-up mat",
        "sw": version,
    }
    if configuration_url:
        dev["cu"] = configuration_url

    return {
        "dev": dev,
        "o": {"name": ORIGIN_NAME, "sw": version},
        "avty": [{"t": topics.availability}],
        "qos": 1,
        "cmps": cmps,
    }
