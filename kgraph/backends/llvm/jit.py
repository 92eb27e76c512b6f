"""Everything that touches ``llvmlite.binding``: the host target machine,
optimization with the new pass manager, verification, the on-disk object
cache and the MCJIT engine that hands out function addresses. (The IR to
object code step itself lives in ``compile_worker.py``, which a helper
process runs too: several modules compile at once only across processes.)

The cache key is the sha256 of the IR text, the host CPU name and features,
and the kgraph and LLVM versions, so code built for another CPU or another
kgraph is never loaded. A cache entry stores its own key and a checksum of
the object code; an entry that does not check out is ignored and rebuilt.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import functools
import hashlib
import os
import re
import stat
import subprocess
import sys
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
from kgraph.backends.llvm import compile_worker
from kgraph.backends.llvm import perf_map

_MAGIC = b"KGRAPHOBJ1\n"
_LOCK = threading.Lock()


@functools.cache
def target_machine() -> llvm.TargetMachine:
    """The host's target machine (CPU name and features), created once."""
    return _new_target_machine()


def _new_target_machine() -> llvm.TargetMachine:
    return compile_worker.new_target_machine()


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
    try:
        return compile_worker.optimize_module(ir_text, tm or target_machine(), context)
    except RuntimeError as error:
        raise errors.CompileError(f"LLVM rejected the generated IR: {error}") from error


# Features of another target's code by default, by architecture: for
# WebAssembly 128-bit SIMD and bulk memory (copies are instructions, not
# imported functions); for RISC-V what Linux distributions build for
# (RV64GC, whose floating-point ABI is lp64d).
_DEFAULT_FEATURES = {
    "wasm32": "+simd128,+bulk-memory,+nontrapping-fptoint,+sign-ext",
    "riscv64": "+m,+a,+f,+d,+c",
}
# The ABI for those features, where it must be named.
_ABI = {"riscv64": "lp64d"}


def target_options(
    triple: str | None, cpu: str | None, features: str | None
) -> tuple[str, str, str]:
    """A target's triple, CPU and features, the defaults filled in: this
    machine's for its own triple, ``generic`` and none (WebAssembly: SIMD
    and bulk memory) for another.

    Raises:
        CompileError: for a triple LLVM has no target for.
    """
    host = llvm.get_process_triple()
    triple = triple or host
    native = triple == host
    with _LOCK:
        llvm.initialize_all_targets()
        llvm.initialize_all_asmprinters()
        try:
            llvm.Target.from_triple(triple)
        except RuntimeError as error:
            raise errors.CompileError(
                f"export: LLVM has no target for this triple. Received: "
                f"triple={triple!r} ({error})"
            ) from None
        if native:
            target_machine()
        default_cpu = llvm.get_host_cpu_name() if native else "generic"
        if features is None:
            if native:
                features = llvm.get_host_cpu_features().flatten()
            else:
                features = _DEFAULT_FEATURES.get(triple.split("-")[0], "")
    return triple, cpu or default_cpu, features


def export_object(
    ir_texts: Sequence[str],
    triple: str | None = None,
    cpu: str | None = None,
    features: str | None = None,
) -> tuple[bytes, list[str]]:
    """Links modules into one and compiles it to a relocatable,
    position-independent object file for a target (``kgraph export``).

    Args:
        ir_texts: the modules' IR.
        triple: the target triple (default: this machine's).
        cpu: the target CPU (default: this machine's for its own triple,
            ``generic`` otherwise).
        features: the target's features (default: this machine's for its
            own triple, none otherwise).

    Returns:
        The object code, and the C math functions it may call (copies and
        fills are its own functions, or the target's instructions).

    Raises:
        CompileError: for an unknown target, or IR LLVM rejects.
    """
    triple, cpu, features = target_options(triple, cpu, features)
    with _LOCK:
        target = llvm.Target.from_triple(triple)
        tm = target.create_target_machine(
            cpu=cpu,
            features=features,
            opt=3,
            reloc="pic",
            codemodel="default",
            abiname=_ABI.get(triple.split("-")[0], "") if "+d" in features else "",
        )
        context = llvm.create_context()
        modules = []
        try:
            for text in ir_texts:
                module = llvm.parse_assembly(text, context=context)
                module.verify()
                modules.append(module)
            linked = modules[0]
            for module in modules[1:]:
                linked.link_in(module)
            if "p:32" not in str(tm.target_data):
                # (64-bit targets: the functions take a 64-bit size.)
                memory = llvm.parse_assembly(_MEMORY_FUNCTIONS, context=context)
                linked.link_in(memory)
            linked.triple = triple
            linked.data_layout = str(tm.target_data)
            options = llvm.create_pipeline_tuning_options(speed_level=3)
            options.loop_vectorization = True
            options.slp_vectorization = True
            builder = llvm.create_pass_builder(tm, options)
            builder.getModulePassManager().run(linked, builder)
            externals = _externals(linked)
            if "p:32" not in str(tm.target_data) or "+bulk-memory" in features:
                # Copies and fills are the object's own functions, or the
                # target's instructions (WebAssembly's bulk memory).
                externals = [e for e in externals if not e.startswith("mem")]
            return tm.emit_object(linked), externals
        except RuntimeError as error:
            raise errors.CompileError(
                f"LLVM rejected the exported code: {error}"
            ) from error
        finally:
            if modules:
                modules[0].close()


# The object's own memcpy, memset and memmove, local to it: LLVM lowers its
# copy and fill intrinsics to calls of these names, which bind to these
# definitions, so the object needs nothing of the C library but math and
# the program's own memcpy is untouched. "no-builtins" keeps LLVM from
# turning the loops back into calls of themselves; llvm.compiler.used keeps
# them until code generation, which alone calls them.
_MEMORY_FUNCTIONS = """
define internal ptr @memcpy(ptr %to, ptr %from, i64 %n) #0 {
entry:
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %copy
copy:
  %i = phi i64 [ 0, %entry ], [ %next, %copy ]
  %source = getelementptr i8, ptr %from, i64 %i
  %target = getelementptr i8, ptr %to, i64 %i
  %byte = load i8, ptr %source
  store i8 %byte, ptr %target
  %next = add i64 %i, 1
  %end = icmp eq i64 %next, %n
  br i1 %end, label %done, label %copy
done:
  ret ptr %to
}

define internal ptr @memmove(ptr %to, ptr %from, i64 %n) #0 {
entry:
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %start
start:
  %forward = icmp ult ptr %to, %from
  br i1 %forward, label %up, label %down
up:
  %i = phi i64 [ 0, %start ], [ %next, %up ]
  %source = getelementptr i8, ptr %from, i64 %i
  %target = getelementptr i8, ptr %to, i64 %i
  %byte = load i8, ptr %source
  store i8 %byte, ptr %target
  %next = add i64 %i, 1
  %end = icmp eq i64 %next, %n
  br i1 %end, label %done, label %up
down:
  %j = phi i64 [ %n, %start ], [ %previous, %down ]
  %previous = sub i64 %j, 1
  %source2 = getelementptr i8, ptr %from, i64 %previous
  %target2 = getelementptr i8, ptr %to, i64 %previous
  %byte2 = load i8, ptr %source2
  store i8 %byte2, ptr %target2
  %first = icmp eq i64 %previous, 0
  br i1 %first, label %done, label %down
done:
  ret ptr %to
}

define internal ptr @memset(ptr %to, i32 %value, i64 %n) #0 {
entry:
  %byte = trunc i32 %value to i8
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %fill
fill:
  %i = phi i64 [ 0, %entry ], [ %next, %fill ]
  %target = getelementptr i8, ptr %to, i64 %i
  store i8 %byte, ptr %target
  %next = add i64 %i, 1
  %end = icmp eq i64 %next, %n
  br i1 %end, label %done, label %fill
done:
  ret ptr %to
}

@llvm.compiler.used = appending global [3 x ptr]
    [ptr @memcpy, ptr @memmove, ptr @memset], section "llvm.metadata"

attributes #0 = { nounwind "no-builtins" }
"""

# LLVM intrinsics the code generator may turn into calls of the C library
# (named here, with an ``f`` for float32), depending on the target.
_LIBCALLS = {
    name: name
    for name in (
        "exp",
        "exp2",
        "exp10",
        "log",
        "log2",
        "log10",
        "pow",
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "atan2",
        "sinh",
        "cosh",
        "tanh",
        "floor",
        "ceil",
        "trunc",
        "rint",
        "nearbyint",
        "round",
        "roundeven",
        "fma",
        "ldexp",
        "copysign",
    )
} | {"maxnum": "fmax", "minnum": "fmin", "maximum": "fmaximum", "minimum": "fminimum"}


def _externals(module: llvm.ModuleRef) -> list[str]:
    """The C library functions the module's object code may call: those it
    declares, and those LLVM's intrinsics may become (a superset)."""
    found = set()
    for function in module.functions:
        if not function.is_declaration:
            continue
        parts = function.name.split(".")
        if parts[0] != "llvm":
            found.add(function.name)
        elif parts[1] in ("memcpy", "memset", "memmove"):
            found.add(parts[1])
        elif parts[1] in _LIBCALLS:
            suffix = "f" if any("f32" in part for part in parts[2:]) else ""
            found.add(_LIBCALLS[parts[1]] + suffix)
    if " frem " in str(module):
        found.update(("fmodf", "fmod"))
    return sorted(found)


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


def _object_code(ir_text: str) -> bytes:
    """Object code for one module, compiled here and written to the cache.

    Raises:
        CompileError: when LLVM rejects the IR.
    """
    try:
        body = compile_worker.object_code(ir_text)
    except RuntimeError as error:
        raise errors.CompileError(f"LLVM rejected the generated IR: {error}") from error
    _write_cache(cache_key(ir_text), body)
    return body


def compile_ir(ir_text: str | Sequence[str]) -> Library:
    """Compiles IR to native code, through the disk cache.

    Args:
        ir_text: one module's IR, or several modules (linked into one
            engine: a module may call functions another defines). Where
            enough of them miss the cache, a helper process compiles some
            while this one compiles the others (``_share_out``).

    Returns:
        The loaded ``Library``.

    Raises:
        CompileError: when LLVM rejects the IR.
    """
    import time

    started = time.perf_counter()
    texts = [ir_text] if isinstance(ir_text, str) else list(ir_text)
    bodies: list[bytes | None] = [_read_cache(cache_key(text)) for text in texts]
    cached = all(body is not None for body in bodies)
    missing = [index for index, body in enumerate(bodies) if body is None]
    for index, body in _share_out([texts[i] for i in missing], missing):
        bodies[index] = body
    for index in missing:
        if bodies[index] is None:
            bodies[index] = _object_code(texts[index])
    key = cache_key("\0".join(texts))
    library = _load([body for body in bodies if body is not None], key, cached, started)
    library.module_keys = [cache_key(text) for text in texts]
    return library


# Below this much IR to compile, a helper's round trips cost more than they
# save.
_HELPER_MIN_BYTES = 100_000


def _share_out(texts: list[str], indices: list[int]) -> list[tuple[int, bytes]]:
    """Compiles ``texts`` in two lanes of about equal size (the largest
    first): the helper process takes one while this thread compiles the
    other. Returns ``(index, object code)`` for every text compiled; those
    the helper refused or lost are left out, for the caller to compile here
    (raising LLVM's error if the IR is bad). Nothing happens (an empty
    list) with one core, one text, too little IR, or the helper busy or off.
    """
    if (
        len(texts) < 2
        or sum(map(len, texts)) < _HELPER_MIN_BYTES
        or (os.cpu_count() or 1) < 2
        or not config.compile_helper()
        or not _runs_python(sys.executable)
    ):
        return []
    order = sorted(range(len(texts)), key=lambda k: -len(texts[k]))
    lanes: list[list[int]] = [[], []]
    loads = [0, 0]
    for k in order:
        lane = loads.index(min(loads))
        lanes[lane].append(k)
        loads[lane] += len(texts[k])
    if not _Helper.acquire():
        return []
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            remote = pool.submit(_Helper.compile, [texts[k] for k in lanes[1]])
            done = [(indices[k], _object_code(texts[k])) for k in lanes[0]]
            for k, body in zip(lanes[1], remote.result(), strict=True):
                if body is not None:
                    _write_cache(cache_key(texts[k]), body)
                    done.append((indices[k], body))
    finally:
        _Helper.release()
    return done


def _runs_python(executable: str | None) -> bool:
    """Whether ``executable`` is a Python interpreter by its name (an
    application embedding Python reports its own program there, which must
    not be started as the helper)."""
    name = os.path.basename(executable or "").lower()
    return re.fullmatch(r"(python|pypy)[\d.]*(\.exe)?", name) is not None


class _Helper:
    """The helper process (``compile_worker.py`` run as a script), started
    when first needed and used by one compile at a time."""

    _lock = threading.Lock()
    _process: subprocess.Popen | None = None
    _owner = 0  # the process that started it (a forked child starts its own)
    _broken = False

    @classmethod
    def acquire(cls) -> bool:
        """Makes the helper this caller's (started if need be); false when
        it is busy or cannot run."""
        if cls._broken or not cls._lock.acquire(blocking=False):
            return False
        old = cls._process
        if old is not None and (cls._owner != os.getpid() or old.poll() is not None):
            # Dead, or started by the process this one forked from: its
            # pipes are closed here (the other process keeps its own).
            for stream in (old.stdin, old.stdout):
                with contextlib.suppress(OSError):
                    stream and stream.close()
            cls._process = None
        if cls._process is None:
            cls._owner = os.getpid()
            try:
                cls._process = subprocess.Popen(
                    [sys.executable, "-c", _BOOTSTRAP, compile_worker.__file__],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError:
                cls._broken = True
                cls._lock.release()
                return False
        return True

    @classmethod
    def release(cls) -> None:
        cls._lock.release()

    @classmethod
    def stop(cls) -> None:
        """Closes the helper's input (it then exits) and waits for it."""
        process = cls._process
        if process is None or cls._owner != os.getpid():
            return
        cls._process = None
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            assert process.stdin is not None and process.stdout is not None
            process.stdin.close()
            process.wait(timeout=5)
            process.stdout.close()
        if process.poll() is None:
            process.kill()

    @classmethod
    def compile(cls, texts: list[str]) -> list[bytes | None]:
        """Each text's object code, or ``None`` where the helper refused it
        or failed (it is then stopped, and started again next time). Only
        between ``acquire`` and ``release``."""
        process = cls._process
        assert process is not None and process.stdin and process.stdout
        results: list[bytes | None] = []
        for text in texts:
            try:
                compile_worker.write_message(process.stdin, None, text.encode())
                status, body = compile_worker.read_answer(process.stdout)
            except (OSError, EOFError, ValueError):
                process.kill()
                results.extend([None] * (len(texts) - len(results)))
                break
            results.append(body if status == compile_worker.COMPILED else None)
        return results


atexit.register(_Helper.stop)

# Runs the helper's file as a script, without the working directory in the
# path (the interpreter and its packages as in this process).
_BOOTSTRAP = (
    "import runpy, sys; sys.path = [p for p in sys.path if p]; "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)


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
