"""Virtual mats: pressure sources (scripted patterns, the physical push-up model) and
a device that speaks the wire protocol on a pty, a TCP port or into a file."""
