"""The machine generated code is for: this one (loaded and run in the
process), or another one an exported library is compiled for
(``export.py``). Code generation asks here for what depends on it: the
vector width the GEMM and Winograd kernels plan for, and whether the
loops set x86-64's flush-to-zero mode.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A machine code is generated for.

    Args:
        triple: its LLVM triple.
        vector_bytes: bytes per SIMD register the kernels plan for.
    """

    triple: str
    vector_bytes: int


_TARGET: contextvars.ContextVar[Target | None] = contextvars.ContextVar(
    "kgraph_target", default=None
)


def current() -> Target | None:
    """The target of the code being generated, or ``None`` for this machine."""
    return _TARGET.get()


@contextlib.contextmanager
def generating_for(target: Target) -> Iterator[None]:
    """Generates code for ``target`` inside the ``with`` block."""
    token = _TARGET.set(target)
    try:
        yield
    finally:
        _TARGET.reset(token)


def vector_bytes_for(triple: str, features: str) -> int:
    """The SIMD register size of a target, from its triple and features
    (LLVM's ``+avx2,-avx512f`` form)."""
    enabled = {f[1:] for f in features.split(",") if f.startswith("+")}
    if triple.startswith(("x86_64", "amd64", "i686", "i386")):
        if "avx512f" in enabled:
            return 64
        if "avx2" in enabled or "avx" in enabled:
            return 32
    return 16
