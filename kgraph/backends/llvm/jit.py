"""Everything that touches ``llvmlite.binding``: the host target machine,
optimization with the new pass manager, verification, the on-disk object
cache and the MCJIT engine that hands out function addresses.

The cache key is the sha256 of the IR text, the host CPU name and features,
and the kgraph and LLVM versions, so code built for another CPU or another
kgraph is never loaded. A cache entry stores its own key and a checksum of
the object code; an entry that does not check out is ignored and rebuilt.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import os
import stat
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import llvmlite
import llvmlite.binding as llvm

from kgraph import config
from kgraph import errors
from kgraph.backends.llvm import perf_map

_MAGIC = b"KGRAPHOBJ1\n"
_LOCK = threading.Lock()


@functools.cache
def target_machine() -> llvm.TargetMachine:
    """The host's target machine (CPU name and features), created once."""
    return _new_target_machine()


def _new_target_machine() -> llvm.TargetMachine:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=3,
        jit=True,
    )


@functools.cache
def host_cpu_features() -> dict[str, bool]:
    """The host CPU's features by LLVM's names (``avx512f``, ``avx2``...)."""
    target_machine()
    return dict(llvm.get_host_cpu_features())


def process_triple() -> str:
    """The host's target triple (``x86_64-unknown-linux-gnu``)."""
    return str(llvm.get_process_triple())


def host_description() -> str:
    """Triple, CPU, features and versions: the part of every cache key that
    describes the machine and the compiler."""

    target_machine()
    return "|".join(
        [
            llvm.get_process_triple(),
            llvm.get_host_cpu_name(),
            llvm.get_host_cpu_features().flatten(),
            f"llvm {'.'.join(map(str, llvm.llvm_version_info))}",
            f"llvmlite {llvmlite.__version__}",
            f"kgraph {config.VERSION}",
        ]
    )


def cache_key(ir_text: str) -> str:
    """The cache key of a module's IR on this machine."""
    digest = hashlib.sha256()
    digest.update(host_description().encode())
    digest.update(b"\0")
    digest.update(ir_text.encode())
    return digest.hexdigest()


def optimize(
    ir_text: str,
    tm: llvm.TargetMachine | None = None,
    context: llvm.context.ContextRef | None = None,
) -> llvm.ModuleRef:
    """Parses, verifies and optimizes IR (O3, loop and SLP vectorization).

    Args:
        ir_text: the module's IR.
        tm: the target machine (the shared one by default).
        context: the LLVM context to parse into (the global one by default);
            threads compiling at once each need their own.

    Raises:
        CompileError: when LLVM rejects the IR.
    """
    tm = tm or target_machine()
    try:
        module = llvm.parse_assembly(ir_text, context=context)
        module.verify()
    except RuntimeError as error:
        raise errors.CompileError(f"LLVM rejected the generated IR: {error}") from error
    module.triple = llvm.get_process_triple()
    module.data_layout = str(tm.target_data)
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    builder = llvm.create_pass_builder(tm, options)
    builder.getModulePassManager().run(module, builder)
    return module


def assembly(ir_text: str) -> str:
    """The host assembly of IR after optimization."""
    return target_machine().emit_assembly(optimize(ir_text))


def optimized_ir(ir_text: str) -> str:
    """The IR after optimization."""
    return str(optimize(ir_text))


def _entry_path(key: str) -> Path | None:
    folder = trusted_cache_dir(str(config.cache_dir()))
    return None if folder is None else folder / f"{key}.o"


@functools.lru_cache(maxsize=8)
def trusted_cache_dir(folder: str) -> Path | None:
    """The cache folder, when this process may trust what it holds.

    The trust model: a cache entry is machine code this process will run,
    so the folder must be this user's alone. It is created private (0700);
    an existing folder owned by another user, or writable by the group or
    others, is bypassed with a warning (kgraph then compiles every time).
    Entries are also checked: a regular file, not a link, whose header
    names its key and whose SHA-256 matches its body.

    Returns:
        The folder, or ``None`` when it is not to be trusted.
    """
    path = Path(folder)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(path)
    except OSError:
        return None
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    if not owner_ok or info.st_mode & 0o022:
        import warnings

        warnings.warn(
            f"kgraph's compile cache {path} is owned by another user or writable "
            "by others, so its entries (machine code) cannot be trusted: kgraph "
            "compiles without it. Use a private folder (KGRAPH_CACHE_DIR, mode "
            "0700).",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    return path


def _read_cache(key: str) -> bytes | None:
    path = _entry_path(key)
    if path is None:
        return None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags)
    except OSError:
        return None
    try:
        # Only regular files: a FIFO or a device in place of an entry would
        # block or never end.
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None
        with os.fdopen(handle, "rb", closefd=False) as stream:
            blob = stream.read()
    except OSError:
        return None
    finally:
        os.close(handle)
    header = _MAGIC + key.encode() + b"\n"
    if not blob.startswith(header) or len(blob) < len(header) + 64:
        return None
    checksum = blob[len(header) : len(header) + 64]
    body = blob[len(header) + 64 :]
    if hashlib.sha256(body).hexdigest().encode() != checksum:
        return None
    return body


def _write_cache(key: str, body: bytes) -> None:
    """Writes an entry atomically (a temporary file renamed over it), so
    another process never reads half an entry."""
    path = _entry_path(key)
    if path is None:
        return
    blob = _MAGIC + key.encode() + b"\n" + hashlib.sha256(body).hexdigest().encode()
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(blob + body)
        os.replace(temporary, path)
    except OSError:
        # A read-only or full cache only costs a recompile; leave no
        # half-written temporary behind.
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


@dataclass
class Library:
    """Compiled code loaded into the process, and how it was obtained.

    Args:
        engine: the MCJIT engine that owns the code (kept alive here).
        key: the cache key.
        cached: whether the object code came from the disk cache.
        seconds: time spent compiling or loading.
    """

    engine: llvm.ExecutionEngine
    key: str
    cached: bool
    seconds: float
    # The engine reads the object code in place: it must outlive the engine.
    objects: tuple[list[bytes], list[llvm.ObjectFileRef]] | None = None
    module_keys: list[str] = field(default_factory=list)

    def address(self, name: str) -> int:
        """The address of an exported function."""
        address = self.engine.get_function_address(name)
        if not address:
            raise errors.CompileError(f"No compiled function named {name}.")
        return address


def _object_code(ir_text: str) -> tuple[bytes, bool]:
    """Object code for one module, from the cache or compiled in a context and
    target machine of its own (so several can compile at once)."""
    key = cache_key(ir_text)
    body = _read_cache(key)
    if body is not None:
        return body, True
    tm = _new_target_machine()
    context = llvm.create_context()
    body = tm.emit_object(optimize(ir_text, tm, context))
    _write_cache(key, body)
    return body, False


def compile_ir(ir_text: str | Sequence[str]) -> Library:
    """Compiles IR to native code, through the disk cache.

    Args:
        ir_text: one module's IR, or several modules (compiled in parallel,
            one thread per core, and linked into one engine: a module may
            call functions another defines).

    Returns:
        The loaded ``Library``.
    """
    import time

    started = time.perf_counter()
    texts = [ir_text] if isinstance(ir_text, str) else list(ir_text)
    workers = min(len(texts), os.cpu_count() or 1)
    if workers > 1:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(_object_code, texts))
    else:
        results = [_object_code(text) for text in texts]
    key = cache_key("\0".join(texts))
    cached = all(hit for _, hit in results)
    library = _load([body for body, _ in results], key, cached, started)
    library.module_keys = [cache_key(text) for text in texts]
    return library


def _load(bodies: Sequence[bytes], key: str, cached: bool, started: float) -> Library:
    """Links object code into a new engine."""
    import time

    with _LOCK:
        # The engine takes ownership of (and frees) its target machine, so it
        # gets its own.
        engine = llvm.create_mcjit_compiler(
            llvm.parse_assembly(""), _new_target_machine()
        )
        objects = [llvm.ObjectFileRef.from_data(body) for body in bodies]
        for item in objects:
            engine.add_object_file(item)
        engine.finalize_object()
    if config.perf_map():
        perf_map.record(list(bodies), engine.get_function_address)
    seconds = time.perf_counter() - started
    return Library(engine, key, cached, seconds, (list(bodies), objects))


def load_cached(key: str, module_keys: Sequence[str]) -> Library | None:
    """The library of modules already in the cache, or ``None`` if any is
    missing or damaged (no IR needed: the caller knows their keys)."""
    import time

    started = time.perf_counter()
    bodies = [_read_cache(module_key) for module_key in module_keys]
    if any(body is None for body in bodies):
        return None
    library = _load(bodies, key, True, started)  # type: ignore[arg-type]
    library.module_keys = list(module_keys)
    return library


def read_index(key: str) -> dict[str, Any] | None:
    """A small JSON record stored in the cache under ``key``, or ``None``."""
    import json

    body = _read_cache(key)
    if body is None:
        return None
    try:
        return json.loads(body.decode())
    except (UnicodeDecodeError, ValueError):
        return None


def write_index(key: str, record: dict[str, Any]) -> None:
    """Stores a small JSON record in the cache under ``key``."""
    import json

    _write_cache(key, json.dumps(record, sort_keys=True).encode())


# The modules whose code decides the IR generated for a program: the LLVM
# backend, the ops' lowerings, the schedule's unit kinds, the IR types.
CODE_GENERATOR = (
    "backends/llvm",
    "ops",
    "compiler/schedule.py",
    "ir",
    "dtypes.py",
)


def code_generator_files() -> list[Path]:
    """The source files of ``CODE_GENERATOR``, in a fixed order."""
    root = Path(__file__).resolve().parents[2]  # the kgraph package
    paths: list[Path] = []
    for part in CODE_GENERATOR:
        where = root / part
        paths += sorted(where.rglob("*.py")) if where.is_dir() else [where]
    return paths


@functools.cache
def source_fingerprint() -> str:
    """A hash of the code generator's source (``CODE_GENERATOR``), so cache
    entries keyed by a program (not by its IR) never outlive a change to
    the code it is generated by; edits elsewhere in kgraph (layers, models,
    documentation) keep the cache."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in code_generator_files():
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
