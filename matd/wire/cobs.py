"""Consistent Overhead Byte Stuffing (Cheshire & Baker 1999), the pure-Python reference.

The compiled decoder in ext/wire.pyx must agree with this byte for byte.
"""

from __future__ import annotations


class CobsError(ValueError):
    """The bytes are not a valid COBS encoding."""


def cobs_encode(data: bytes) -> bytes:
    """Encode so that the result holds no 0x00. Never adds a trailing 0x01 block code."""
    out = bytearray()
    code_at = 0
    out.append(0)
    code = 1
    for byte in data:
        if byte == 0:
            out[code_at] = code
            code_at = len(out)
            out.append(0)
            code = 1
            continue
        out.append(byte)
        code += 1
        if code == 0xFF:
            out[code_at] = code
            code_at = len(out)
            out.append(0)
            code = 1
    out[code_at] = code
    # A full 254-byte block at the very end leaves a lone 0x01 code; both forms are
    # valid (PROTOCOL.md), and the shorter one is what the firmware sends.
    if code == 1 and _ends_full_block(data):
        out.pop()
    return bytes(out)


def _ends_full_block(data: bytes) -> bool:
    """True when the data's last zero-free run is a non-empty multiple of 254 bytes."""
    run = 0
    for byte in reversed(data):
        if byte == 0:
            break
        run += 1
    return run > 0 and run % 254 == 0


def cobs_decode(encoded: bytes) -> bytes:
    """Decode one packet's bytes (without the 0x00 delimiter)."""
    out = bytearray()
    i = 0
    n = len(encoded)
    while i < n:
        code = encoded[i]
        if code == 0:
            raise CobsError("zero byte inside a COBS packet")
        end = i + code
        if end > n:
            raise CobsError("COBS block runs past the end of the packet")
        block = encoded[i + 1 : end]
        if 0 in block:
            raise CobsError("zero byte inside a COBS packet")
        out += block
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)
