"""matd: the daemon of a smart push-up mat."""

__version__ = "0.1.0"
