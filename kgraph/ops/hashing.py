"""``hash_bucket``: the bucket TensorFlow's ``to_hash_bucket_fast`` (Keras's
``Hashing`` layer) gives an integer: FarmHash's ``Fingerprint64`` of the
integer's decimal string, modulo the number of buckets.

A decimal int64 has at most 20 characters, so only FarmHash's paths for
strings of 1 to 32 bytes occur; with ``k0``, ``k1``, ``k2`` its constants,
``mul = k2 + 2 len``, ``fetch64``/``fetch32`` little-endian loads and
``rotate`` a right rotation (all arithmetic modulo 2**64)::

    len 17..32: a = fetch64(s) * k1, b = fetch64(s + 8),
                c = fetch64(s + len - 8) * mul, d = fetch64(s + len - 16) * k2
                hash16(rotate(a + b, 43) + rotate(c, 30) + d,
                       a + rotate(b + k2, 18) + c, mul)
    len 8..16:  a = fetch64(s) + k2, b = fetch64(s + len - 8)
                hash16(rotate(b, 37) * mul + a, (rotate(a, 25) + b) * mul, mul)
    len 4..7:   hash16(len + (fetch32(s) << 3), fetch32(s + len - 4), mul)
    len 1..3:   y = s[0] + (s[len / 2] << 8), z = len + (s[len - 1] << 2)
                shift_mix(y * k2 ^ z * k0) * k2
    hash16(u, v, mul): a = shift_mix((u ^ v) * mul)
                       return shift_mix((v ^ a) * mul) * mul
    shift_mix(x) = x ^ (x >> 47)

With a ``key`` (Keras's ``salt``), the fingerprint is SipHash-2-4 keyed by
the two 64-bit words instead (TensorFlow's ``to_hash_bucket_strong``): the
string's full 8-byte blocks, then a last block holding the remaining bytes
and the length in its top byte, each mixed by two SipRounds, then four.

The native kernel writes each number's digits into a zeroed 32-byte stack
buffer and computes the hash branch-free, selecting by length.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir

from kgraph import dtypes
from kgraph import errors
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops import registry
from kgraph.ops.builder import apply

_MASK = (1 << 64) - 1
K0 = 0xC3A5C85C97CB3127
K1 = 0xB492B66FBE98F273
K2 = 0x9AE16A3B2F90404F


# -- the reference ------------------------------------------------------------------


def _rotate(value: int, shift: int) -> int:
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _fetch(data: bytes, start: int, size: int) -> int:
    return int.from_bytes(data[start : start + size], "little")


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _hash16(u: int, v: int, mul: int) -> int:
    a = _shift_mix(((u ^ v) * mul) & _MASK)
    return (_shift_mix(((v ^ a) * mul) & _MASK) * mul) & _MASK


def fingerprint64(text: bytes) -> int:
    """FarmHash's ``Fingerprint64`` of a string of 1 to 32 bytes.

    Args:
        text: the bytes.

    Returns:
        The 64-bit fingerprint as an unsigned int.

    Raises:
        ValueError: for another length.

    Example:

    >>> fingerprint64(b"A") % 3
    1
    """
    n = len(text)
    if not 1 <= n <= 32:
        raise ValueError(f"fingerprint64: 1 to 32 bytes. Received: {n} bytes")
    mul = (K2 + 2 * n) & _MASK
    if n > 16:
        a = (_fetch(text, 0, 8) * K1) & _MASK
        b = _fetch(text, 8, 8)
        c = (_fetch(text, n - 8, 8) * mul) & _MASK
        d = (_fetch(text, n - 16, 8) * K2) & _MASK
        u = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
        return _hash16(u, (a + _rotate((b + K2) & _MASK, 18) + c) & _MASK, mul)
    if n >= 8:
        a = (_fetch(text, 0, 8) + K2) & _MASK
        b = _fetch(text, n - 8, 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        return _hash16(c, ((_rotate(a, 25) + b) * mul) & _MASK, mul)
    if n >= 4:
        first = _fetch(text, 0, 4)
        return _hash16((n + (first << 3)) & _MASK, _fetch(text, n - 4, 4), mul)
    y = text[0] + (text[n >> 1] << 8)
    z = n + (text[n - 1] << 2)
    return (_shift_mix(((y * K2) ^ (z * K0)) & _MASK) * K2) & _MASK


_SIP_INIT = (
    0x736F6D6570736575,
    0x646F72616E646F6D,
    0x6C7967656E657261,
    0x7465646279746573,
)


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _sip_rounds(state: list[int], count: int) -> list[int]:
    v0, v1, v2, v3 = state
    for _ in range(count):
        v0 = (v0 + v1) & _MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return [v0, v1, v2, v3]


def siphash(key: tuple[int, int], text: bytes) -> int:
    """SipHash-2-4 of a string, keyed by two 64-bit words.

    Args:
        key: ``(k0, k1)``.
        text: the bytes.

    Returns:
        The 64-bit hash as an unsigned int.

    Example:

    >>> [siphash((133, 137), c.encode()) % 3 for c in "ABCDE"]
    [1, 2, 1, 0, 2]
    """
    k0, k1 = (k & _MASK for k in key)
    state = [k0 ^ _SIP_INIT[0], k1 ^ _SIP_INIT[1], k0 ^ _SIP_INIT[2], k1 ^ _SIP_INIT[3]]
    full = len(text) // 8 * 8
    blocks = [_fetch(text, i, 8) for i in range(0, full, 8)]
    blocks.append(((len(text) & 0xFF) << 56) | _fetch(text, full, len(text) - full))
    for block in blocks:
        state[3] ^= block
        state = _sip_rounds(state, 2)
        state[0] ^= block
    state[2] ^= 0xFF
    v0, v1, v2, v3 = _sip_rounds(state, 4)
    return v0 ^ v1 ^ v2 ^ v3


def _as_key(value: Any) -> tuple[int, ...]:
    """An empty tuple (FarmHash) or two 64-bit words (SipHash)."""
    words = tuple(int(v) & _MASK for v in registry.as_int_tuple(value or ()))
    if len(words) not in (0, 2):
        raise ValueError("expected no key or two integers.")
    return words


def _infer(types: Any, attrs: Any) -> TensorType:
    (x,) = types
    if not dtypes.is_int(x.dtype):
        raise errors.DTypeError(
            f"hash_bucket: the values must be integers. Received: {x}"
        )
    if attrs["num_bins"] < 1:
        raise ValueError(
            f"hash_bucket: num_bins must be positive. Received: "
            f"num_bins={attrs['num_bins']}"
        )
    return TensorType(x.shape, "int64")


def _reference(arrays: Any, attrs: Any) -> np.ndarray:
    (x,) = arrays
    bins, key = attrs["num_bins"], attrs["key"]
    flat = [
        (siphash(key, text) if key else fingerprint64(text)) % bins
        for text in (str(int(v)).encode() for v in x.reshape(-1))
    ]
    return np.asarray(flat, dtype=np.int64).reshape(x.shape)


def _example(draw: Any) -> registry.Example:
    key = (draw.integer(0, 1000), draw.integer(0, 1000)) if draw.integer(0, 1) else ()
    return registry.Example(
        [(draw.shape(), "int64", "index:100000")],
        {"num_bins": draw.integer(1, 50), "key": key},
    )


# -- the native kernel -------------------------------------------------------------


class _Text:
    """A zeroed 32-byte stack buffer holding one number's decimal digits."""

    def __init__(self, em: Any) -> None:
        self.em = em
        builder = em.builder
        with builder.goto_entry_block():
            self.base = builder.alloca(lowering.I8, size=32)

    def at(self, offset: Any, kind: ir.IntType = lowering.I8) -> Any:
        """The address of byte ``offset``, as a pointer to ``kind``."""
        builder = self.em.builder
        address = builder.gep(self.base, [offset], source_etype=lowering.I8)
        return (
            address
            if kind is lowering.I8
            else builder.bitcast(address, ir.PointerType(kind))
        )

    def clear(self) -> None:
        for word in range(4):
            address = self.at(self.em.index(8 * word), lowering.I64)
            self.em.builder.store(ir.Constant(lowering.I64, 0), address, align=1)

    def fetch(self, offset: Any, kind: ir.IntType) -> Any:
        """A little-endian load at a byte offset (clamped to the buffer)."""
        builder, em = self.em.builder, self.em
        low = builder.select(
            builder.icmp_signed("<", offset, em.index(0)), em.index(0), offset
        )
        value = builder.load(self.at(low, kind), typ=kind, align=1)
        return value if kind is lowering.I64 else builder.zext(value, lowering.I64)

    def write_decimal(self, value: Any) -> Any:
        """Writes ``str(value)``; returns its length (``i64``)."""
        em, builder = self.em, self.em.builder
        negative = builder.icmp_signed("<", value, em.index(0))
        magnitude = builder.select(negative, builder.neg(value), value)
        count = em.variable("int64", em.index(1))
        rest = em.variable("int64", builder.udiv(magnitude, em.index(10)))
        with em.loop(em.index(19), "d"):
            remaining = em.read(rest, lowering.I64)
            more = builder.icmp_unsigned("!=", remaining, em.index(0))
            step = builder.zext(more, lowering.I64)
            builder.store(builder.add(em.read(count, lowering.I64), step), count)
            builder.store(builder.udiv(remaining, em.index(10)), rest)
        digits = em.read(count, lowering.I64)
        sign = builder.zext(negative, lowering.I64)
        length = builder.add(digits, sign)
        with builder.if_then(negative):
            builder.store(ir.Constant(lowering.I8, ord("-")), self.at(em.index(0)))
        builder.store(magnitude, rest)
        with em.loop(digits, "w") as k:
            remaining = em.read(rest, lowering.I64)
            digit = builder.urem(remaining, em.index(10))
            byte = builder.trunc(builder.add(digit, em.index(ord("0"))), lowering.I8)
            position = builder.sub(builder.sub(length, em.index(1)), k)
            builder.store(byte, self.at(position))
            builder.store(builder.udiv(remaining, em.index(10)), rest)
        return length


def _constant(value: int) -> ir.Constant:
    return ir.Constant(lowering.I64, value - (1 << 64) if value >= 1 << 63 else value)


class _Arithmetic:
    """Wrapping 64-bit arithmetic for the hash."""

    def __init__(self, builder: Any) -> None:
        self.b = builder

    def rotate(self, value: Any, shift: int) -> Any:
        b = self.b
        return b.or_(
            b.lshr(value, _constant(shift)), b.shl(value, _constant(64 - shift))
        )

    def shift_mix(self, value: Any) -> Any:
        return self.b.xor(value, self.b.lshr(value, _constant(47)))

    def hash16(self, u: Any, v: Any, mul: Any) -> Any:
        b = self.b
        a = self.shift_mix(b.mul(b.xor(u, v), mul))
        return b.mul(self.shift_mix(b.mul(b.xor(v, a), mul)), mul)


def _fingerprint(em: Any, text: _Text, n: Any) -> Any:
    """The four FarmHash paths for a string of length ``n``, selected."""
    b, m = em.builder, _Arithmetic(em.builder)
    mul = b.add(_constant(K2), b.mul(n, em.index(2)))
    at = lambda back: b.sub(n, em.index(back))  # noqa: E731
    # 17..32 bytes
    a = b.mul(text.fetch(em.index(0), lowering.I64), _constant(K1))
    second = text.fetch(em.index(8), lowering.I64)
    c = b.mul(text.fetch(at(8), lowering.I64), mul)
    d = b.mul(text.fetch(at(16), lowering.I64), _constant(K2))
    u = b.add(b.add(m.rotate(b.add(a, second), 43), m.rotate(c, 30)), d)
    v = b.add(b.add(a, m.rotate(b.add(second, _constant(K2)), 18)), c)
    long = m.hash16(u, v, mul)
    # 8..16 bytes
    a = b.add(text.fetch(em.index(0), lowering.I64), _constant(K2))
    last = text.fetch(at(8), lowering.I64)
    c = b.add(b.mul(m.rotate(last, 37), mul), a)
    middle = m.hash16(c, b.mul(b.add(m.rotate(a, 25), last), mul), mul)
    # 4..7 bytes
    first = text.fetch(em.index(0), lowering.I32)
    u = b.add(n, b.shl(first, _constant(3)))
    short = m.hash16(u, text.fetch(at(4), lowering.I32), mul)
    # 1..3 bytes
    y = b.add(
        text.fetch(em.index(0), lowering.I8),
        b.shl(text.fetch(b.lshr(n, em.index(1)), lowering.I8), _constant(8)),
    )
    z = b.add(n, b.shl(text.fetch(at(1), lowering.I8), _constant(2)))
    mixed = b.xor(b.mul(y, _constant(K2)), b.mul(z, _constant(K0)))
    tiny = b.mul(m.shift_mix(mixed), _constant(K2))
    result = b.select(b.icmp_signed(">", n, em.index(16)), long, middle)
    result = b.select(b.icmp_signed("<", n, em.index(8)), short, result)
    return b.select(b.icmp_signed("<", n, em.index(4)), tiny, result)


def _sip_rounds_ir(m: _Arithmetic, state: list[Any], count: int) -> list[Any]:
    b = m.b
    v0, v1, v2, v3 = state
    for _ in range(count):
        v0 = b.add(v0, v1)
        v1 = b.xor(m.rotate(v1, 64 - 13), v0)
        v0 = m.rotate(v0, 32)
        v2 = b.add(v2, v3)
        v3 = b.xor(m.rotate(v3, 64 - 16), v2)
        v0 = b.add(v0, v3)
        v3 = b.xor(m.rotate(v3, 64 - 21), v0)
        v2 = b.add(v2, v1)
        v1 = b.xor(m.rotate(v1, 64 - 17), v2)
        v2 = m.rotate(v2, 32)
    return [v0, v1, v2, v3]


def _siphash(em: Any, text: _Text, n: Any, key: tuple[int, int]) -> Any:
    """SipHash-2-4 of the buffer's ``n`` bytes (at most 20: two full blocks
    at most, each applied only when the string holds it)."""
    b, m = em.builder, _Arithmetic(em.builder)
    state = [_constant(key[i % 2] ^ _SIP_INIT[i]) for i in range(4)]
    full = b.mul(b.udiv(n, em.index(8)), em.index(8))
    for block in range(2):
        start = em.index(8 * block)
        word = text.fetch(start, lowering.I64)
        mixed = list(state)
        mixed[3] = b.xor(mixed[3], word)
        mixed = _sip_rounds_ir(m, mixed, 2)
        mixed[0] = b.xor(mixed[0], word)
        present = b.icmp_signed("<", start, full)
        state = [
            b.select(present, new, old) for new, old in zip(mixed, state, strict=True)
        ]
    # The last block: the bytes after the full blocks (the buffer is zero
    # beyond the string) and the length in the top byte.
    tail = text.fetch(full, lowering.I64)
    last = b.or_(tail, b.shl(b.and_(n, em.index(0xFF)), em.index(56)))
    state[3] = b.xor(state[3], last)
    state = _sip_rounds_ir(m, state, 2)
    state[0] = b.xor(state[0], last)
    state[2] = b.xor(state[2], em.index(0xFF))
    v0, v1, v2, v3 = _sip_rounds_ir(m, state, 4)
    return b.xor(b.xor(v0, v1), b.xor(v2, v3))


def _lower(em: Any, inputs: Any, output: Any, attrs: Any) -> None:
    (x,) = inputs
    text = _Text(em)
    with em.loop(output.size, "h") as index:
        value = em.convert(em.load(x, index), x.dtype, "int64")
        text.clear()
        length = text.write_decimal(value)
        key = attrs["key"]
        hashed = (
            _siphash(em, text, length, key) if key else _fingerprint(em, text, length)
        )
        bucket = em.builder.urem(hashed, em.index(attrs["num_bins"]))
        em.store(output, index, bucket)


registry.register(
    registry.OpDef(
        name="hash_bucket",
        kind=registry.GATHER,
        arity=1,
        infer=_infer,
        reference=_reference,
        grad=None,
        example=_example,
        doc="FarmHash Fingerprint64 of each integer's decimal string, mod num_bins.",
        lower=_lower,
        attrs={
            "num_bins": registry.Attr(registry.as_int),
            "key": registry.Attr(_as_key, ()),
        },
        differentiable=False,
    )
)


def hash_bucket(x: Any, num_bins: int, key: Any = None) -> Any:
    """Hashes integers into ``num_bins`` buckets as TensorFlow hashes their
    decimal strings (what Keras's ``Hashing`` layer does with integer
    inputs): FarmHash ``Fingerprint64`` (``to_hash_bucket_fast``), or with a
    ``key`` SipHash-2-4 (``to_hash_bucket_strong``), modulo ``num_bins``.

    Args:
        x: integers (int32 or int64).
        num_bins: the number of buckets.
        key: ``None``, or two integers keying SipHash (Keras's ``salt``).

    Returns:
        int64 bucket indices in ``[0, num_bins)``, shaped like ``x``.

    Example:

    >>> hash_bucket(np.array([1, 2, 3]), 5).numpy().tolist()
    [4, 4, 1]
    """
    return apply("hash_bucket", [x], {"num_bins": num_bins, "key": key or ()})
