"""The compiled stream decoder: matd._wire, twin of matd.wire.stream.StreamDecoder.

Same API, same messages, same counters as the pure-Python reference; a differential
test (tests/wire/test_differential.py) holds the two equal on arbitrary byte streams.
COBS, CRC32 and the frame bodies are handled in C on the raw bytes; Python objects are
made only for the messages that come out. Compiler directives are set in setup.py.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_DecodeASCII, PyUnicode_DecodeUTF8
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memchr, memcpy

cimport numpy as cnp
import sys

from matd.wire.cobs import CobsError
from matd.wire.messages import (
    BAD_REASONS,
    MAX_CELLS as _PY_MAX_CELLS,
    MAX_PAYLOAD as _PY_MAX_PAYLOAD,
    MAX_UNDELIMITED as _PY_MAX_UNDELIMITED,
    PROTOCOL_VERSION as _PY_PROTOCOL_VERSION,
    Ack,
    Command,
    Frame,
    Hello,
    Log,
)
from matd.wire.stream import WireStats

cnp.import_array()

cdef enum:
    PROTOCOL_VERSION = 1
    MAX_PAYLOAD = 65536
    MAX_UNDELIMITED = 66000
    MAX_CELLS = 32762
    HELLO_SIZE = 24  # header through the board name's length byte
    FRAME_HEADER_SIZE = 12
    CRC_SIZE = 4
    MIN_PACKET = 6  # version, type and the CRC

# Failure kinds, in the order of matd.wire.messages.BAD_REASONS.
cdef enum:
    R_COBS = 0
    R_SHORT
    R_CRC
    R_VERSION
    R_TYPE
    R_LENGTH
    R_RUNS
    R_OVERFLOW
    N_REASONS

# Message types (PROTOCOL.md).
cdef enum:
    T_HELLO = 0x01
    T_FRAME_RAW = 0x02
    T_FRAME_SPARSE = 0x03
    T_LOG = 0x04
    T_ACK = 0x05
    T_GET_INFO = 0x81
    T_SET_RATE = 0x82
    T_START = 0x83
    T_STOP = 0x84
    T_SET_ENCODING = 0x85

# COBS failures (negative results of _cobs_decode).
cdef enum:
    COBS_ZERO_BYTE = -1
    COBS_PAST_END = -2

_REASON_NAMES = ("cobs", "short", "crc", "version", "type", "length", "runs", "overflow")

# The C constants above are copies: refuse to load if the reference ever moves away.
if (
    _REASON_NAMES != tuple(BAD_REASONS)
    or _PY_MAX_PAYLOAD != MAX_PAYLOAD
    or _PY_MAX_UNDELIMITED != MAX_UNDELIMITED
    or _PY_MAX_CELLS != MAX_CELLS
    or _PY_PROTOCOL_VERSION != PROTOCOL_VERSION
):
    raise ImportError("matd._wire is out of date with matd.wire.messages; rebuild it")

cdef bint _LITTLE_ENDIAN = sys.byteorder == "little"


# ---------------------------------------------------------------- CRC32 (IEEE 802.3)

# Slicing-by-8 tables: eight bytes per step instead of one.
cdef uint32_t _crc_table[8][256]


cdef void _crc_init() noexcept nogil:
    cdef uint32_t c
    cdef int i, k
    for i in range(256):
        c = <uint32_t>i
        for k in range(8):
            if c & 1:
                c = (c >> 1) ^ 0xEDB88320u
            else:
                c = c >> 1
        _crc_table[0][i] = c
    for i in range(256):
        c = _crc_table[0][i]
        for k in range(1, 8):
            c = _crc_table[0][c & 0xFF] ^ (c >> 8)
            _crc_table[k][i] = c


_crc_init()


cdef inline uint32_t _load_u32(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0]) | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)


cdef inline uint16_t _load_u16(const uint8_t* p) noexcept nogil:
    return <uint16_t>((<uint16_t>p[0]) | (<uint16_t>p[1] << 8))


cdef uint32_t _crc32(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    cdef uint32_t c = 0xFFFFFFFFu
    cdef uint32_t lo, hi
    while n >= 8:
        lo = c ^ _load_u32(p)
        hi = _load_u32(p + 4)
        c = (
            _crc_table[7][lo & 0xFF]
            ^ _crc_table[6][(lo >> 8) & 0xFF]
            ^ _crc_table[5][(lo >> 16) & 0xFF]
            ^ _crc_table[4][lo >> 24]
            ^ _crc_table[3][hi & 0xFF]
            ^ _crc_table[2][(hi >> 8) & 0xFF]
            ^ _crc_table[1][(hi >> 16) & 0xFF]
            ^ _crc_table[0][hi >> 24]
        )
        p += 8
        n -= 8
    while n > 0:
        c = _crc_table[0][(c ^ p[0]) & 0xFF] ^ (c >> 8)
        p += 1
        n -= 1
    return c ^ 0xFFFFFFFFu


# ---------------------------------------------------------------- COBS


cdef Py_ssize_t _cobs_decode(
    const uint8_t* src, Py_ssize_t n, uint8_t* dst, bint check_zero
) noexcept nogil:
    """Decode n bytes into dst (room for n bytes suffices); the length or a COBS_* error.

    Bytes split off a stream at 0x00 hold no zero, so the stream skips that check."""
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t out = 0
    cdef Py_ssize_t end, k, size
    cdef uint8_t code
    if not check_zero:
        # Noise-level cells make blocks of one or two bytes, so the per-block cost is what
        # counts: copy a fixed 8 bytes (one move; the spare ones are overwritten later)
        # and always write the block's zero. With 10 bytes left, a short block never
        # reaches the packet's end, so that zero is real; out <= i keeps dst in bounds.
        while i + 10 <= n:
            code = src[i]
            if code == 0:
                return COBS_ZERO_BYTE
            if code <= 9:
                memcpy(dst + out, src + i + 1, 8)
                out += code - 1
                i += code
                dst[out] = 0
                out += 1
                continue
            end = i + code
            if end >= n:
                break  # the last block: the careful loop below checks and finishes it
            memcpy(dst + out, src + i + 1, <size_t>(code - 1))
            out += code - 1
            i = end
            if code != 0xFF:
                dst[out] = 0
                out += 1
    while i < n:
        code = src[i]
        if code == 0:
            return COBS_ZERO_BYTE
        end = i + code
        if end > n:
            return COBS_PAST_END
        i += 1
        size = end - i
        if check_zero and size > 0 and memchr(src + i, 0, <size_t>size) != NULL:
            return COBS_ZERO_BYTE
        # Noise-level cells give blocks of one or two bytes: a plain loop beats memcpy there.
        if size <= 8:
            for k in range(size):
                dst[out + k] = src[i + k]
        else:
            memcpy(dst + out, src + i, <size_t>size)
        out += size
        i = end
        if code != 0xFF and i < n:
            dst[out] = 0
            out += 1
    return out


# ---------------------------------------------------------------- frame bodies


cdef void _fill_raw(const uint8_t* body, Py_ssize_t ncells, uint16_t* cells) noexcept nogil:
    cdef Py_ssize_t k
    if _LITTLE_ENDIAN:
        memcpy(cells, body, <size_t>(2 * ncells))
    else:
        for k in range(ncells):
            cells[k] = _load_u16(body + 2 * k)


cdef int _fill_sparse(
    const uint8_t* body, Py_ssize_t n, Py_ssize_t ncells, uint16_t* cells
) noexcept nogil:
    """Write the runs into zeroed cells; 0 when valid, else R_RUNS (as the reference)."""
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t zeros, count
    while i < n:
        if i + 4 > n:
            return R_RUNS  # truncated run header
        zeros = _load_u16(body + i)
        count = _load_u16(body + i + 2)
        i += 4
        if i + 2 * count > n:
            return R_RUNS  # truncated run values
        pos += zeros
        if pos + count > ncells:
            return R_RUNS  # runs address past the grid
        _fill_raw(body + i, count, cells + pos)
        pos += count
        i += 2 * count
    return 0


# ---------------------------------------------------------------- module-level helpers


cdef const uint8_t[::1] _byte_view(object data):
    """A flat byte view of bytes, bytearray, memoryview or any other buffer."""
    cdef const uint8_t[::1] view
    try:
        view = data
    except (ValueError, TypeError, BufferError):
        # Views of other item formats (or strided ones): their bytes, as one flat string.
        view = memoryview(data).tobytes()
    return view


def crc32(data) -> int:
    """CRC32 (IEEE 802.3, as zlib.crc32) of the bytes."""
    cdef const uint8_t[::1] view = _byte_view(data)
    cdef Py_ssize_t n = view.shape[0]
    cdef uint32_t c
    if n == 0:
        return 0
    with nogil:
        c = _crc32(&view[0], n)
    return c


def cobs_decode(data) -> bytes:
    """Decode one packet's bytes (without the 0x00 delimiter). Raises CobsError."""
    cdef const uint8_t[::1] view = _byte_view(data)
    cdef Py_ssize_t n = view.shape[0]
    cdef Py_ssize_t m
    cdef uint8_t* out
    if n == 0:
        return b""
    out = <uint8_t*>PyMem_Malloc(<size_t>n)
    if out == NULL:
        raise MemoryError()
    try:
        with nogil:
            m = _cobs_decode(&view[0], n, out, True)
        if m == COBS_ZERO_BYTE:
            raise CobsError("zero byte inside a COBS packet")
        if m == COBS_PAST_END:
            raise CobsError("COBS block runs past the end of the packet")
        return out[:m]
    finally:
        PyMem_Free(out)


# ---------------------------------------------------------------- the stream decoder


cdef class StreamDecoder:
    """Feed it bytes as they arrive; it returns the messages completed by them.

    One feeder at a time: feed() releases the GIL while it decodes a packet, so a
    second thread feeding the same decoder at once gets a RuntimeError."""

    cdef public object stats
    cdef uint8_t* _pending  # bytes of a packet whose 0x00 has not arrived yet
    cdef Py_ssize_t _pending_len
    cdef uint8_t* _decoded  # one packet, COBS-decoded
    cdef bint _overflowed  # dropping bytes until the next 0x00
    cdef int64_t _last_seq  # -1: none seen since the start or reset_sequence()
    cdef bint _feeding
    # Counts of the running feed(), added to `stats` when it returns.
    cdef uint64_t _n_packets
    cdef uint64_t _n_frames
    cdef uint64_t _n_lost
    cdef uint64_t _n_bad[N_REASONS]

    def __cinit__(self):
        self._pending = <uint8_t*>PyMem_Malloc(MAX_UNDELIMITED)
        self._decoded = <uint8_t*>PyMem_Malloc(MAX_UNDELIMITED)
        if self._pending == NULL or self._decoded == NULL:
            raise MemoryError()
        self._pending_len = 0
        self._overflowed = False
        self._last_seq = -1
        self._feeding = False
        self._clear_counts()

    def __init__(self):
        self.stats = WireStats()

    def __dealloc__(self):
        PyMem_Free(self._pending)
        PyMem_Free(self._decoded)

    def reset_sequence(self) -> None:
        """Forget the last sequence number (after a reconnect the mat may have rebooted)."""
        self._last_seq = -1

    def feed(self, data) -> list:
        cdef const uint8_t[::1] view
        cdef const uint8_t* p
        cdef const uint8_t* zero
        cdef Py_ssize_t n, start, end, seg
        cdef list out = []
        if self._feeding:
            raise RuntimeError("StreamDecoder.feed() called while another feed() is running")
        view = _byte_view(data)
        n = view.shape[0]
        if n == 0:
            return out
        p = &view[0]
        self._feeding = True
        try:
            start = 0
            while start < n:
                zero = <const uint8_t*>memchr(p + start, 0, <size_t>(n - start))
                if zero == NULL:
                    self._hold(p + start, n - start)
                    break
                end = zero - p
                seg = end - start
                if self._overflowed:
                    self._overflowed = False  # this 0x00 ends the dropped run
                elif self._pending_len + seg > MAX_UNDELIMITED:
                    self._n_bad[R_OVERFLOW] += 1
                elif self._pending_len == 0:
                    if seg > 0:
                        self._packet(p + start, seg, out)
                else:
                    memcpy(self._pending + self._pending_len, p + start, <size_t>seg)
                    self._packet(self._pending, self._pending_len + seg, out)
                self._pending_len = 0
                start = end + 1
        finally:
            self._feeding = False
            self._flush_counts(n)
        return out

    cdef void _hold(self, const uint8_t* chunk, Py_ssize_t size) noexcept:
        """Keep the start of a packet for the next feed(), within the bound."""
        if self._overflowed:
            return
        if self._pending_len + size > MAX_UNDELIMITED:
            # A packet this long can't be valid: drop what we hold and skip to the next 0x00.
            self._pending_len = 0
            self._overflowed = True
            self._n_bad[R_OVERFLOW] += 1
            return
        memcpy(self._pending + self._pending_len, chunk, <size_t>size)
        self._pending_len += size

    cdef void _packet(self, const uint8_t* packet, Py_ssize_t size, list out) except *:
        cdef Py_ssize_t m
        cdef uint8_t* raw = self._decoded
        cdef int reason = 0
        cdef object msg
        self._n_packets += 1
        with nogil:
            m = _cobs_decode(packet, size, raw, False)
            if m < 0:
                reason = R_COBS + 1
            elif m < MIN_PACKET:
                reason = R_SHORT + 1
            elif _crc32(raw, m - CRC_SIZE) != _load_u32(raw + m - CRC_SIZE):
                reason = R_CRC + 1
            elif m - CRC_SIZE > MAX_PAYLOAD:
                reason = R_LENGTH + 1
        if reason:
            self._n_bad[reason - 1] += 1
            return
        msg = self._message(raw, m - CRC_SIZE)
        if msg is not None:
            out.append(msg)

    cdef object _message(self, const uint8_t* p, Py_ssize_t n):
        """The message in a payload whose CRC matched, or None after counting why not."""
        cdef int kind
        cdef Py_ssize_t k, name_len
        if n < 2:
            return self._bad(R_SHORT)
        if p[0] != PROTOCOL_VERSION:
            return self._bad(R_VERSION)
        kind = p[1]
        if kind == T_FRAME_RAW or kind == T_FRAME_SPARSE:
            return self._frame(p, n, kind == T_FRAME_SPARSE)
        if kind == T_HELLO:
            if n < HELLO_SIZE:
                return self._bad(R_LENGTH)
            name_len = p[23]
            if n != HELLO_SIZE + name_len:
                return self._bad(R_LENGTH)
            for k in range(HELLO_SIZE, n):
                if p[k] > 0x7F:
                    return self._bad(R_LENGTH)
            return Hello(
                p[2],
                p[3],
                p[4],
                p[5],
                p[6],
                _load_u16(p + 7),
                _load_u16(p + 9),
                p[11],
                _load_u16(p + 12),
                p[14],
                (<uint64_t>_load_u32(p + 15)) | ((<uint64_t>_load_u32(p + 19)) << 32),
                board=PyUnicode_DecodeASCII(<const char*>(p + HELLO_SIZE), name_len, NULL),
            )
        if kind == T_LOG:
            if n < 3:
                return self._bad(R_LENGTH)
            return Log(p[2], PyUnicode_DecodeUTF8(<const char*>(p + 3), n - 3, "replace"))
        if kind == T_ACK:
            if n != 4:
                return self._bad(R_LENGTH)
            return Ack(p[2], p[3])
        if kind == T_GET_INFO or kind == T_START or kind == T_STOP:
            if n != 2:
                return self._bad(R_LENGTH)
            return Command(kind)
        if kind == T_SET_RATE:
            if n != 4:
                return self._bad(R_LENGTH)
            return Command(kind, (<const char*>p)[2:n])
        if kind == T_SET_ENCODING:
            if n != 3:
                return self._bad(R_LENGTH)
            return Command(kind, (<const char*>p)[2:n])
        return self._bad(R_TYPE)

    cdef object _frame(self, const uint8_t* p, Py_ssize_t n, bint sparse):
        cdef uint32_t seq, device_time_us, gap
        cdef Py_ssize_t rows, cols, ncells
        cdef cnp.npy_intp dims[2]
        cdef object cells
        cdef uint16_t* out
        cdef int reason = 0
        if n < FRAME_HEADER_SIZE:
            return self._bad(R_LENGTH)
        seq = _load_u32(p + 2)
        device_time_us = _load_u32(p + 6)
        rows = p[10]
        cols = p[11]
        ncells = rows * cols
        if rows == 0 or cols == 0 or ncells > MAX_CELLS:
            return self._bad(R_LENGTH)
        if not sparse and n - FRAME_HEADER_SIZE != 2 * ncells:
            return self._bad(R_LENGTH)
        dims[0] = rows
        dims[1] = cols
        # Sparse runs leave cells out, so only a sparse frame needs the zeroing.
        cells = (
            cnp.PyArray_ZEROS(2, dims, cnp.NPY_UINT16, 0)
            if sparse
            else cnp.PyArray_EMPTY(2, dims, cnp.NPY_UINT16, 0)
        )
        out = <uint16_t*>cnp.PyArray_DATA(<cnp.ndarray>cells)
        with nogil:
            if sparse:
                reason = _fill_sparse(p + FRAME_HEADER_SIZE, n - FRAME_HEADER_SIZE, ncells, out)
            else:
                _fill_raw(p + FRAME_HEADER_SIZE, ncells, out)
        if reason:
            return self._bad(reason)
        self._n_frames += 1
        if self._last_seq >= 0:
            gap = seq - <uint32_t>self._last_seq - 1u
            # A huge "gap" is a seq going backwards (the device rebooted): not a loss.
            if gap < 0x80000000u:
                self._n_lost += gap
        self._last_seq = seq
        return Frame(seq, device_time_us, cells, sparse)

    cdef object _bad(self, int reason):
        self._n_bad[reason] += 1
        return None

    cdef void _clear_counts(self) noexcept:
        cdef int r
        self._n_packets = 0
        self._n_frames = 0
        self._n_lost = 0
        for r in range(N_REASONS):
            self._n_bad[r] = 0

    cdef void _flush_counts(self, Py_ssize_t nbytes) except *:
        cdef int r
        cdef uint64_t bad_packets = 0
        stats = self.stats
        stats.bytes += nbytes
        if self._n_packets:
            stats.packets += self._n_packets
        if self._n_frames:
            stats.frames += self._n_frames
        if self._n_lost:
            stats.lost_frames += self._n_lost
        for r in range(N_REASONS):
            if self._n_bad[r]:
                bad_packets += self._n_bad[r]
                name = _REASON_NAMES[r]
                stats.bad[name] = stats.bad.get(name, 0) + self._n_bad[r]
        if bad_packets:
            stats.bad_packets += bad_packets
        self._clear_counts()
