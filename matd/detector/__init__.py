"""The detector: contacts into hands, toes and knees; the body axis and u; sets, reps, sag."""

from matd.detector.detector import Detector
from matd.detector.events import EVENT_TYPES, Event
from matd.detector.pattern import Pattern, PatternFinder

__all__ = ["EVENT_TYPES", "Detector", "Event", "Pattern", "PatternFinder"]
