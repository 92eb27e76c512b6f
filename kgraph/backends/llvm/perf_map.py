"""Names for native code in Linux ``perf``: ``/tmp/perf-<pid>.map``.

``perf`` cannot see the functions of code loaded at run time; it reads
``/tmp/perf-<pid>.map`` (one ``start size name`` line per function, hex)
for them. With ``KGRAPH_PERF_MAP=1`` every library the JIT loads appends its
functions there: the step functions, the loops and every kernel, named as
in the IR (``dense_1_matmul_7``), so ``perf record`` then ``perf report``
attributes time to the kernels of a model.

The object code is ELF (the JIT's host objects); its symbol table gives each
function's offset in its section and size. A section's load address is that
of a function the engine exports, minus the function's offset.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

_LOCK = threading.Lock()
# ELF symbol types and bindings (st_info).
_FUNC = 2
_LOCAL = 0
_SYMBOL = struct.Struct("<IBBHQQ")  # name, info, other, section, value, size
_SYMTAB = 2  # section header type


def _sections(body: bytes) -> list[tuple[int, int, int, int, int]]:
    """``(type, offset, size, link, entry size)`` of each section header of
    a 64-bit little-endian ELF object."""
    if body[:4] != b"\x7fELF" or body[4] != 2 or body[5] != 1:
        return []
    (shoff,) = struct.unpack_from("<Q", body, 0x28)
    entsize, count = struct.unpack_from("<HH", body, 0x3A)
    headers = []
    for index in range(count):
        base = shoff + index * entsize
        kind = struct.unpack_from("<I", body, base + 4)[0]
        offset, size, link = struct.unpack_from("<QQI", body, base + 0x18)
        (entry,) = struct.unpack_from("<Q", body, base + 0x38)
        headers.append((kind, offset, size, link, entry))
    return headers


def functions(body: bytes) -> Iterator[tuple[str, int, int, int, bool]]:
    """``(name, section, offset, size, exported)`` of every function an ELF
    object defines."""
    headers = _sections(body)
    for kind, offset, size, link, entry in headers:
        if kind != _SYMTAB or entry != _SYMBOL.size:
            continue
        strings = headers[link][1]
        for start in range(offset, offset + size, entry):
            name_at, info, _, section, value, length = _SYMBOL.unpack_from(body, start)
            if info & 0xF != _FUNC or section == 0 or length == 0:
                continue
            end = body.index(b"\0", strings + name_at)
            name = body[strings + name_at : end].decode(errors="replace")
            yield name, section, value, length, info >> 4 != _LOCAL


def lines(body: bytes, address_of: Callable[[str], int]) -> list[str]:
    """The perf map lines of one loaded object: its functions at their
    addresses (``address_of`` gives an exported function's, 0 if unknown)."""
    found = list(functions(body))
    bases: dict[int, int] = {}
    for name, section, offset, _, exported in found:
        if exported and section not in bases:
            address = address_of(name)
            if address:
                bases[section] = address - offset
    return [
        f"{bases[section] + offset:x} {size:x} kgraph:{name}"
        for name, section, offset, size, _ in found
        if section in bases
    ]


def record(bodies: list[bytes], address_of: Callable[[str], int]) -> None:
    """Appends the functions of loaded objects to this process's map."""
    text = "".join(line + "\n" for body in bodies for line in lines(body, address_of))
    if not text:
        return
    with _LOCK, Path(f"/tmp/perf-{os.getpid()}.map").open("a") as handle:
        handle.write(text)
