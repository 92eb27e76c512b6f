"""LLVM IR to object code, in this process or in a helper process.

llvmlite serializes every call into LLVM behind one lock, so threads of one
process compile one module at a time. A helper process has a lock of its
own: ``jit.compile_ir`` gives it part of a loop's modules while it compiles
the rest itself. This file is both the compiler both use (``object_code``,
``optimize_module``) and, run as a script, the helper: it imports llvmlite
only (not kgraph, whose import costs a second), and answers requests on
its standard input and output until that input closes.

The protocol, every integer an unsigned 64-bit little-endian number: a
request is the length of the IR text, then the text (UTF-8); the answer is
a status (0 compiled, 1 refused), a length, then the object code or the
error message.
"""

from __future__ import annotations

import struct
import sys
from typing import IO

import llvmlite.binding as llvm

_LENGTH = struct.Struct("<Q")
COMPILED = 0
REFUSED = 1


def new_target_machine() -> llvm.TargetMachine:
    """A target machine for the host CPU (its name and every feature), at
    the highest optimization level, for code loaded in this process."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=3,
        jit=True,
    )


def optimize_module(
    ir_text: str,
    tm: llvm.TargetMachine,
    context: llvm.context.ContextRef | None = None,
) -> llvm.ModuleRef:
    """Parses, verifies and optimizes IR (O3, loop and SLP vectorization).

    Raises:
        RuntimeError: when LLVM rejects the IR.
    """
    module = llvm.parse_assembly(ir_text, context=context)
    try:
        module.verify()
    except RuntimeError:
        module.close()  # now, while its context is surely alive
        raise
    module.triple = llvm.get_process_triple()
    module.data_layout = str(tm.target_data)
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    builder = llvm.create_pass_builder(tm, options)
    builder.getModulePassManager().run(module, builder)
    return module


def object_code(ir_text: str) -> bytes:
    """The object code of one module, compiled in a context and target
    machine of its own.

    Raises:
        RuntimeError: when LLVM rejects the IR.
    """
    tm = new_target_machine()
    # The module lives in the context: it is disposed of first, while the
    # context is still alive (disposing a context frees its modules).
    context = llvm.create_context()
    module = optimize_module(ir_text, tm, context)
    try:
        return tm.emit_object(module)
    finally:
        module.close()


def write_message(stream: IO[bytes], status: int | None, body: bytes) -> None:
    """Writes a request (``status`` None) or an answer, and flushes."""
    head = b"" if status is None else _LENGTH.pack(status)
    stream.write(head + _LENGTH.pack(len(body)) + body)
    stream.flush()


def read_exactly(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes of ``stream``.

    Raises:
        EOFError: when the stream ends first.
    """
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the stream ended inside a message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_answer(stream: IO[bytes]) -> tuple[int, bytes]:
    """An answer's status and body."""
    status, size = struct.unpack("<QQ", read_exactly(stream, 16))
    return status, read_exactly(stream, size)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answers requests until ``requests`` closes."""
    while True:
        head = requests.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            return
        (size,) = _LENGTH.unpack(head)
        text = read_exactly(requests, size).decode()
        try:
            write_message(answers, COMPILED, object_code(text))
        except RuntimeError as error:
            write_message(answers, REFUSED, str(error).encode())


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
