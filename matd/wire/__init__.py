"""The serial wire protocol (PROTOCOL.md): packets, messages and the stream decoder."""

from matd.wire.messages import (
    Ack,
    AckStatus,
    BadPacket,
    Command,
    Encoding,
    Frame,
    Hello,
    Log,
    Message,
    MsgType,
    encode_frame,
    encode_payload,
    pack,
    unpack,
)
from matd.wire.stream import StreamDecoder, WireStats

__all__ = [
    "Ack",
    "AckStatus",
    "BadPacket",
    "Command",
    "Encoding",
    "Frame",
    "Hello",
    "Log",
    "Message",
    "MsgType",
    "StreamDecoder",
    "WireStats",
    "encode_frame",
    "encode_payload",
    "pack",
    "unpack",
]
