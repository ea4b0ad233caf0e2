"""The serial link to the mat: open the port, read bytes, reconnect, find the mat."""

from matd.link.mat_link import MatLink
from matd.link.port import check_port, is_device_path, open_port
from matd.link.probe import FoundMat, NoHello, ask_hello, find_mat, probe_ports, rank_ports

__all__ = [
    "FoundMat",
    "MatLink",
    "NoHello",
    "ask_hello",
    "check_port",
    "find_mat",
    "is_device_path",
    "open_port",
    "probe_ports",
    "rank_ports",
]
