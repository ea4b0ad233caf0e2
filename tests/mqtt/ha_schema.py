"""Home Assistant's documented MQTT discovery schema, as far as matd's entities need it.

Written from the Home Assistant docs (integrations/mqtt: device-based discovery,
abbreviations; sensor / binary_sensor / button / number / event device classes; the
MQTT platform pages for each component's options and which are required). A check
fails on anything Home Assistant would reject or ignore: a missing required key, an
unknown option (a typo Home Assistant would silently drop), a device class or unit it
does not know, a deprecated key.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2

# integrations/mqtt, "Supported abbreviations in MQTT discovery messages" (the ones an
# entity of these five platforms can use).
ABBREVIATIONS = {
    "avty": "availability",
    "avty_mode": "availability_mode",
    "avty_t": "availability_topic",
    "avty_tpl": "availability_template",
    "cmd_t": "command_topic",
    "cmd_tpl": "command_template",
    "cmps": "components",
    "def_ent_id": "default_entity_id",
    "dev": "device",
    "dev_cla": "device_class",
    "dsp_prc": "display_precision",
    "e": "encoding",
    "en": "enabled_by_default",
    "ent_cat": "entity_category",
    "ent_pic": "entity_picture",
    "evt_typ": "event_types",
    "exp_aft": "expire_after",
    "frc_upd": "force_update",
    "ic": "icon",
    "json_attr_t": "json_attributes_topic",
    "json_attr_tpl": "json_attributes_template",
    "lrst_val_tpl": "last_reset_value_template",
    "o": "origin",
    "obj_id": "object_id",
    "off_dly": "off_delay",
    "ops": "options",
    "opt": "optimistic",
    "p": "platform",
    "pl_avail": "payload_available",
    "pl_not_avail": "payload_not_available",
    "pl_off": "payload_off",
    "pl_on": "payload_on",
    "pl_prs": "payload_press",
    "pl_rst": "payload_reset",
    "ret": "retain",
    "stat_cla": "state_class",
    "stat_t": "state_topic",
    "sug_dsp_prc": "suggested_display_precision",
    "t": "topic",
    "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
}
DEVICE_ABBREVIATIONS = {
    "cu": "configuration_url",
    "cns": "connections",
    "ids": "identifiers",
    "name": "name",
    "mf": "manufacturer",
    "mdl": "model",
    "mdl_id": "model_id",
    "hw": "hw_version",
    "sw": "sw_version",
    "sa": "suggested_area",
    "sn": "serial_number",
}
ORIGIN_ABBREVIATIONS = {"name": "name", "sw": "sw_version", "url": "support_url"}

# Options every MQTT entity platform takes.
COMMON = {
    "platform",
    "availability",
    "availability_mode",
    "availability_template",
    "availability_topic",
    "device",
    "origin",
    "default_entity_id",
    "enabled_by_default",
    "encoding",
    "entity_category",
    "entity_picture",
    "icon",
    "json_attributes_template",
    "json_attributes_topic",
    "name",
    "payload_available",
    "payload_not_available",
    "qos",
    "unique_id",
}

PLATFORMS: dict[str, dict[str, set[str]]] = {
    "sensor": {
        "required": {"state_topic"},
        "options": {
            "state_topic",
            "value_template",
            "device_class",
            "state_class",
            "unit_of_measurement",
            "suggested_display_precision",
            "expire_after",
            "force_update",
            "last_reset_value_template",
            "options",
        },
    },
    "binary_sensor": {
        "required": {"state_topic"},
        "options": {
            "state_topic",
            "value_template",
            "device_class",
            "expire_after",
            "force_update",
            "off_delay",
            "payload_on",
            "payload_off",
        },
    },
    "event": {
        "required": {"state_topic", "event_types"},
        "options": {"state_topic", "event_types", "device_class", "value_template"},
    },
    "button": {
        "required": set(),
        "options": {"command_topic", "command_template", "device_class", "payload_press", "retain"},
    },
    "number": {
        "required": {"command_topic"},
        "options": {
            "command_topic",
            "command_template",
            "state_topic",
            "value_template",
            "min",
            "max",
            "step",
            "mode",
            "device_class",
            "unit_of_measurement",
            "optimistic",
            "payload_reset",
            "retain",
        },
    },
}

SENSOR_DEVICE_CLASSES = {
    "absolute_humidity", "apparent_power", "aqi", "area", "atmospheric_pressure", "battery",
    "blood_glucose_concentration", "carbon_dioxide", "carbon_monoxide", "current",
    "data_rate", "data_size", "date", "distance", "duration", "energy", "energy_distance",
    "energy_storage", "enum", "frequency", "gas", "humidity", "illuminance", "irradiance",
    "moisture", "monetary", "nitrogen_dioxide", "nitrogen_monoxide", "nitrous_oxide",
    "ozone", "ph", "pm1", "pm25", "pm10", "power_factor", "power", "precipitation",
    "precipitation_intensity", "pressure", "reactive_energy", "reactive_power",
    "signal_strength", "sound_pressure", "speed", "sulphur_dioxide", "temperature",
    "timestamp", "volatile_organic_compounds", "volatile_organic_compounds_parts",
    "voltage", "volume", "volume_flow_rate", "volume_storage", "water", "weight",
    "wind_direction", "wind_speed",
}  # fmt: skip
DEVICE_CLASSES: dict[str, set[str]] = {
    "sensor": SENSOR_DEVICE_CLASSES,
    "number": SENSOR_DEVICE_CLASSES - {"date", "enum", "timestamp"},
    "binary_sensor": {
        "battery",
        "battery_charging",
        "carbon_monoxide",
        "cold",
        "connectivity",
        "door",
        "garage_door",
        "gas",
        "heat",
        "light",
        "lock",
        "moisture",
        "motion",
        "moving",
        "occupancy",
        "opening",
        "plug",
        "power",
        "presence",
        "problem",
        "running",
        "safety",
        "smoke",
        "sound",
        "tamper",
        "update",
        "vibration",
        "window",
    },
    "button": {"identify", "restart", "update"},
    "event": {"button", "doorbell", "motion"},
}
STATE_CLASSES = {"measurement", "measurement_angle", "total", "total_increasing"}
# Units Home Assistant accepts for the device classes matd uses; a class not listed
# here fails the check, so using a new one means reading its units in the docs first.
UNITS = {
    "duration": {"d", "h", "min", "s", "ms", "µs"},
    "frequency": {"Hz", "kHz", "MHz", "GHz"},
}
TOPIC_KEYS = {"state_topic", "command_topic", "json_attributes_topic", "availability_topic"}
ID_CHARS = re.compile(r"^[a-zA-Z0-9_-]+$")


def expand(d: dict[str, Any], table: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        full = table.get(k, k)
        assert full not in out, f"{k!r} given twice (abbreviated and not)"
        out[full] = v
    return out


def _check_topic(value: Any, where: str) -> None:
    assert isinstance(value, str) and value, f"{where}: topic must be a non-empty string"
    assert "+" not in value and "#" not in value, f"{where}: no wildcards in a topic"


def validate_device_discovery(topic: str, payload: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Checks one device-based discovery message; returns its components, keys expanded."""
    assert re.fullmatch(re.escape(prefix) + r"/device/[a-zA-Z0-9_-]+/config", topic), topic
    root = expand(payload, ABBREVIATIONS)
    # "The shared options at the root level of the JSON message must include device
    # and origin"; availability, origin, command_topic, state_topic, qos and encoding
    # may be shared.
    shared_ok = {
        "device", "origin", "components", "availability", "availability_topic",
        "availability_mode", "availability_template", "payload_available",
        "payload_not_available", "command_topic", "state_topic", "qos", "encoding",
    }  # fmt: skip
    assert set(root) <= shared_ok, f"not shareable at the root: {set(root) - shared_ok}"
    dev = expand(root["device"], DEVICE_ABBREVIATIONS)
    assert set(dev) <= set(DEVICE_ABBREVIATIONS.values()), f"unknown device keys {set(dev)}"
    assert dev.get("identifiers") or dev.get("connections"), "device needs identifiers"
    assert isinstance(dev.get("name"), str) and dev["name"], "device needs a name"
    if "configuration_url" in dev:
        assert re.match(r"^(https?|homeassistant)://", dev["configuration_url"])
    origin = expand(root["origin"], ORIGIN_ABBREVIATIONS)
    assert set(origin) <= set(ORIGIN_ABBREVIATIONS.values()), f"unknown origin keys {origin}"
    assert isinstance(origin.get("name"), str) and origin["name"], "origin needs a name"
    if "support_url" in origin:
        assert re.match(r"^https?://\S+$", origin["support_url"]), origin["support_url"]
    if "availability" in root:
        assert isinstance(root["availability"], list) and root["availability"]
        for item in root["availability"]:
            item = expand(item, ABBREVIATIONS)
            assert set(item) <= {"topic", "payload_available", "payload_not_available",
                                 "value_template"}, item  # fmt: skip
            _check_topic(item.get("topic"), "availability")
    if "availability_topic" in root:
        _check_topic(root["availability_topic"], "availability_topic")
        assert "availability" not in root, "availability and availability_topic both set"
    if "qos" in root:
        assert root["qos"] in (0, 1, 2)

    comps = root["components"]
    assert isinstance(comps, dict) and comps, "cmps must be a non-empty mapping"
    unique_ids: set[str] = set()
    expanded: dict[str, dict[str, Any]] = {}
    for cid, raw in comps.items():
        assert ID_CHARS.match(cid), f"component id {cid!r}"
        comp = expand(raw, ABBREVIATIONS)
        expanded[cid] = comp
        platform = comp.get("platform")
        assert platform in PLATFORMS, f"{cid}: platform {platform!r}"
        spec = PLATFORMS[platform]
        shared = {k for k in ("state_topic", "command_topic") if k in root}
        missing = spec["required"] - set(comp) - shared
        assert not missing, f"{cid}: missing required {missing}"
        unknown = set(comp) - COMMON - spec["options"]
        assert not unknown, f"{cid}: options {platform} does not have: {unknown}"
        assert "object_id" not in comp, f"{cid}: object_id is deprecated: default_entity_id"
        assert "device" not in comp and "origin" not in comp, f"{cid}: device/origin at root"
        uid = comp.get("unique_id")
        assert isinstance(uid, str) and uid, f"{cid}: entity components need a unique_id"
        assert uid not in unique_ids, f"{cid}: unique_id {uid} used twice"
        unique_ids.add(uid)
        if "default_entity_id" in comp:
            assert re.fullmatch(platform + r"\.[a-z0-9_]+", comp["default_entity_id"]), (
                f"{cid}: default_entity_id {comp['default_entity_id']!r} is not {platform}.<slug>"
            )
        for key in TOPIC_KEYS & set(comp):
            _check_topic(comp[key], f"{cid}.{key}")
        if "name" in comp:
            assert comp["name"] is None or (isinstance(comp["name"], str) and comp["name"])
        if "entity_category" in comp:
            assert comp["entity_category"] in ("config", "diagnostic"), cid
            if platform in ("sensor", "binary_sensor", "event"):
                assert comp["entity_category"] != "config", f"{cid}: a {platform} can't be config"
        if "enabled_by_default" in comp:
            assert isinstance(comp["enabled_by_default"], bool)
        if "icon" in comp:
            assert re.fullmatch(r"mdi:[a-z0-9-]+", comp["icon"]), comp["icon"]
        dc = comp.get("device_class")
        if dc is not None:
            assert dc in DEVICE_CLASSES[platform], f"{cid}: {platform} device class {dc!r}"
        if "expire_after" in comp:
            assert platform in ("sensor", "binary_sensor"), f"{cid}: expire_after on {platform}"
            assert isinstance(comp["expire_after"], int) and comp["expire_after"] > 0
        if "value_template" in comp:
            jinja2.Environment().parse(comp["value_template"])  # raises if not Jinja
        if platform == "sensor":
            _check_sensor(cid, comp)
        if platform == "number":
            lo, hi = comp.get("min", 1), comp.get("max", 100)
            assert lo < hi, f"{cid}: min {lo} >= max {hi}"
            assert comp.get("step", 1) >= 0.001, f"{cid}: step below 0.001"
            assert comp.get("mode", "auto") in ("auto", "box", "slider")
        if platform == "event":
            types = comp["event_types"]
            assert isinstance(types, list) and types and all(isinstance(t, str) for t in types)
            assert len(set(types)) == len(types), f"{cid}: event_types repeat"
        if platform == "button" and "payload_press" in comp:
            assert isinstance(comp["payload_press"], str)
    return expanded


def _check_sensor(cid: str, comp: dict[str, Any]) -> None:
    dc = comp.get("device_class")
    sc = comp.get("state_class")
    unit = comp.get("unit_of_measurement")
    if sc is not None:
        assert sc in STATE_CLASSES, f"{cid}: state_class {sc!r}"
    if dc == "enum":
        assert isinstance(comp.get("options"), list) and comp["options"], f"{cid}: enum options"
        assert sc is None and unit is None, f"{cid}: an enum has no state_class or unit"
    else:
        assert "options" not in comp, f"{cid}: options only for device class enum"
    if dc in ("timestamp", "date"):
        assert sc is None, f"{cid}: {dc} has no state_class"
    if dc is not None and dc != "enum":
        assert dc in UNITS, f"{cid}: the checker has no unit list for {dc}: add it from the docs"
        assert unit in UNITS[dc], f"{cid}: unit {unit!r} not valid for {dc}"
    if sc is not None or unit is not None:
        assert "value_template" in comp or dc is None, cid


def render(template: str, payload: bytes) -> str:
    """What Home Assistant's template would make of a payload (plain Jinja, value_json)."""
    text = payload.decode("utf-8")
    try:
        value_json = json.loads(text)
    except ValueError:
        value_json = None
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return env.from_string(template).render(value=text, value_json=value_json).strip()


def check_rendered(cid: str, comp: dict[str, Any], rendered: str) -> None:
    """The state an entity gets from a real payload is one Home Assistant accepts."""
    platform = comp["platform"]
    if platform == "binary_sensor":
        on, off = comp.get("payload_on", "ON"), comp.get("payload_off", "OFF")
        assert rendered in (on, off), f"{cid}: {rendered!r} is neither {on} nor {off}"
    elif platform == "sensor":
        if comp.get("device_class") == "enum":
            assert rendered in comp["options"], f"{cid}: {rendered!r} not in options"
        elif (comp.get("state_class") or comp.get("unit_of_measurement")) and rendered != "None":
            float(rendered)  # a numeric sensor takes a number, or "None" for unknown
