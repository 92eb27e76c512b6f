"""``model.export(path, format="c")``: C programs built against the header
and object give ``predict``'s results bit for bit; the object needs nothing
but the C functions its header lists."""

from __future__ import annotations

import importlib.util
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kgraph as kg
from kgraph import cli
from kgraph import dtypes

CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler")
# What an exported predict may never call: allocation, threads, I/O.
FORBIDDEN = {"malloc", "calloc", "realloc", "free", "pthread_create", "sched_yield"}
# The C math library's float functions an exported model may call.
MATH = {
    f"{name}f"
    for name in [
        "exp",
        "exp2",
        "exp10",
        "log",
        "log2",
        "log10",
        "log1p",
        "expm1",
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
        "erf",
        "erfc",
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
        "fmax",
        "fmin",
        "fmaximum",
        "fminimum",
        "fmod",
    ]
}


def _mlp() -> kg.Model:
    kg.utils.set_random_seed(0)
    return kg.Sequential(
        [
            kg.Input((64,)),
            kg.layers.Dense(32, activation="relu"),
            kg.layers.Dense(10, activation="softmax"),
        ],
        name="digits",
    )


def _cnn() -> kg.Model:
    kg.utils.set_random_seed(1)
    inputs = kg.Input((12, 12, 3))
    h = kg.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    h = kg.layers.BatchNormalization()(h)
    h = kg.layers.MaxPooling2D(2)(h)
    h = kg.layers.DepthwiseConv2D(3, activation="tanh")(h)
    h = kg.layers.GlobalAveragePooling2D()(h)
    h = kg.layers.Dense(16, activation="gelu")(h)
    h = kg.layers.LayerNormalization()(h)
    outputs = kg.layers.Dense(4, activation="log_softmax")(h)
    return kg.Model(inputs, outputs, name="cnn")


def _two_ways() -> kg.Model:
    kg.utils.set_random_seed(2)
    tokens = kg.Input((7,), dtype="int32", name="tokens")
    extra = kg.Input((3,), name="extra")
    h = kg.layers.GRU(5)(kg.layers.Embedding(20, 4)(tokens))
    h = kg.layers.Concatenate()([h, extra])
    first = kg.layers.Dense(2, activation="softmax", name="first")(h)
    second = kg.layers.Dense(1, name="second")(h)
    return kg.Model([tokens, extra], [first, second], name="two_ways")


def _data(model: kg.Model, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    arrays = []
    for tensor in model.inputs:
        shape = (count, *tensor.shape[1:])
        if tensor.dtype == "int32":
            arrays.append(rng.integers(0, 20, shape).astype("int32"))
        else:
            arrays.append(rng.standard_normal(shape).astype("float32"))
    return arrays


def _program(model: kg.Model, count: int, scratch: bool) -> str:
    """A C program reading each input from in<i>.bin, predicting ``count``
    samples and writing each output to out<i>.bin; with ``scratch``, on a
    buffer of its own (twice: the second call reuses what the first kept)."""
    name = model.name
    upper = name.upper()
    outputs = len(model.outputs)
    lines = ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>"]
    lines += [f'#include "{name}.h"', "int main(void) {", "  FILE *f;"]
    arguments = []
    for i, tensor in enumerate(model.inputs):
        kind = "int32_t" if tensor.dtype == "int32" else "float"
        size = f"{count} * {upper}_INPUT_{i}_SIZE"
        lines += [
            f"  {kind} *x{i} = malloc(sizeof({kind}) * {size});",
            f'  f = fopen("in{i}.bin", "rb");',
            f"  if (fread(x{i}, sizeof({kind}), {size}, f) != (size_t)({size}))",
            "    return 9;",
            "  fclose(f);",
        ]
        arguments.append(f"x{i}")
    for i in range(outputs):
        size = f"{count} * {upper}_OUTPUT_{i}_SIZE"
        lines.append(f"  float *y{i} = malloc(sizeof(float) * {size});")
        arguments.append(f"y{i}")
    arguments.append(str(count))
    call = ", ".join(arguments)
    if scratch:
        lines += [
            f"  size_t bytes = ({upper}_SCRATCH_BYTES + 63) / 64 * 64;",
            "  void *scratch = aligned_alloc(64, bytes);",
            f"  memset(scratch, 0, {upper}_SCRATCH_BYTES);",
            f"  int status = {name}_predict_with_scratch({call}, scratch);",
            f"  status |= {name}_predict_with_scratch({call}, scratch);",
        ]
    else:
        lines.append(f"  int status = {name}_predict({call});")
    for i in range(outputs):
        size = f"{count} * {upper}_OUTPUT_{i}_SIZE"
        lines += [
            f'  f = fopen("out{i}.bin", "wb");',
            f"  fwrite(y{i}, sizeof(float), {size}, f);",
            "  fclose(f);",
        ]
    lines += ["  return status;", "}", ""]
    return "\n".join(lines)


def _run_c(model: kg.Model, folder: Path, arrays: list, scratch: bool = False) -> list:
    count = len(arrays[0])
    (folder / "main.c").write_text(_program(model, count, scratch))
    for i, array in enumerate(arrays):
        array.tofile(folder / f"in{i}.bin")
    objects = [str(folder / f"{model.name}.o")]
    subprocess.run(
        [CC, "-O1", "-I", str(folder), "main.c", *objects, "-lm", "-o", "main"],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    status = subprocess.run([str(folder / "main")], cwd=folder, check=False).returncode
    assert status == 0
    return [
        np.fromfile(folder / f"out{i}.bin", dtype="float32")
        for i in range(len(model.outputs))
    ]


@needs_cc
@pytest.mark.parametrize("build", [_mlp, _cnn, _two_ways])
def test_a_c_program_predicts_as_predict(build, tmp_path):
    model = build()
    model.export(str(tmp_path), format="c", verbose=False)
    arrays = _data(model, 5)
    expected = model.predict(arrays if len(arrays) > 1 else arrays[0], batch_size=1)
    expected = expected if isinstance(expected, list) else [expected]
    got = _run_c(model, tmp_path, arrays)
    for value, want in zip(got, expected, strict=True):
        # Same code, same machine, one sample per step as predict(batch 1).
        np.testing.assert_array_equal(value, want.reshape(-1))
    with_scratch = _run_c(model, tmp_path, arrays, scratch=True)
    for value, want in zip(with_scratch, got, strict=True):
        np.testing.assert_array_equal(value, want)


@pytest.mark.skipif(shutil.which("nm") is None, reason="no nm")
@pytest.mark.parametrize("build", [_mlp, _cnn, _two_ways])
def test_the_object_needs_only_the_functions_its_header_lists(build, tmp_path):
    model = build()
    model.export(str(tmp_path), format="c", verbose=False)
    symbols = subprocess.run(
        ["nm", str(tmp_path / f"{model.name}.o")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    undefined = {line.split()[-1] for line in symbols if line.split()[-2] == "U"}
    header = (tmp_path / f"{model.name}.h").read_text()
    listed = header.split("Needs from the C library: ")[1].split(" (")[0]
    assert undefined <= set(listed.split(", "))
    # Math functions only: copies and fills are the object's own.
    assert all(name.endswith("f") and name in MATH for name in undefined)
    assert not undefined & FORBIDDEN
    defined = {
        line.split()[-1] for line in symbols if line.split()[-2] in ("T", "D", "R")
    }
    assert all(symbol.startswith(model.name) for symbol in defined)
    assert f"{model.name}_predict_with_scratch" in defined


@needs_cc
def test_a_count_that_is_not_a_multiple_of_the_batch_returns_2(tmp_path):
    model = _mlp()
    model.export(str(tmp_path), format="c", verbose=False, batch_size=2)
    arrays = _data(model, 3)
    (tmp_path / "main.c").write_text(_program(model, 3, False))
    arrays[0].tofile(tmp_path / "in0.bin")
    subprocess.run(
        [CC, "-I", str(tmp_path), "main.c", "digits.o", "-lm", "-o", "main"],
        cwd=tmp_path,
        check=True,
    )
    assert subprocess.run([str(tmp_path / "main")], cwd=tmp_path).returncode == 2


@needs_cc
def test_the_command_line_exports_a_saved_model(tmp_path):
    model = _mlp()
    model.save(str(tmp_path / "digits.kgraph"))
    out = tmp_path / "c"
    assert cli.main(["export", str(tmp_path / "digits.kgraph"), "-o", str(out)]) == 0
    assert (out / "digits.h").exists() and (out / "README.txt").exists()
    arrays = _data(model, 4)
    (got,) = _run_c(model, out, arrays)
    np.testing.assert_array_equal(
        got, model.predict(arrays[0], batch_size=1).reshape(-1)
    )


def test_export_names_what_it_cannot_do(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match="format='c'"):
        model.export(str(tmp_path), format="tf_saved_model")
    with pytest.raises(ValueError, match="C identifier"):
        model.export(str(tmp_path), name="2 bad")
    with pytest.raises(ValueError, match="unknown argument"):
        model.export(str(tmp_path), opset=17)


def _wasm_host(name: str):
    """A C math function for the module's ``env`` imports, in float32."""
    base = name[:-1] if name.endswith("f") else name
    function = {"fmax": np.fmax, "fmin": np.fmin}.get(base) or getattr(math, base)
    return lambda *args: float(np.float32(function(*args)))


@pytest.mark.parametrize("build", [_mlp, _cnn])
def test_a_webassembly_module_predicts_as_predict(build, tmp_path):
    wasmtime = pytest.importorskip("wasmtime")
    pytest.importorskip("ziglang")
    model = build()
    model.export(str(tmp_path), target="wasm32-unknown-unknown", verbose=False)
    x = _data(model, 5)[0]
    want = model.predict(x, batch_size=1, verbose=0)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module.from_file(engine, str(tmp_path / f"{model.name}.wasm"))
    linker = wasmtime.Linker(engine)
    for need in module.imports:
        assert need.module == "env"
        host = wasmtime.Func(store, need.type, _wasm_host(need.name))
        linker.define(store, need.module, need.name, host)
    exports = linker.instantiate(store, module).exports(store)
    memory, start = exports["memory"], exports["__heap_base"].value(store)
    x_at = -(-start // 64) * 64
    y_at = x_at + -(-x.nbytes // 64) * 64
    end = y_at + want.nbytes
    if end > memory.data_len(store):
        memory.grow(store, -(-(end - memory.data_len(store)) // 65536))
    memory.write(store, x.tobytes(), x_at)
    assert exports[f"{model.name}_predict"](store, x_at, y_at, 5) == 0
    got = np.frombuffer(memory.read(store, y_at, end), dtype="float32")
    # Another target: 128-bit vectors sum in another order, and WebAssembly
    # keeps denormals (x86-64 flushes them).
    rtol, atol = dtypes.MODEL_TOLERANCE
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=rtol, atol=atol)


@pytest.mark.parametrize(
    ("triple", "machine"), [("aarch64-linux-gnu", 183), ("riscv64-linux-gnu", 243)]
)
def test_other_targets_get_their_own_objects(triple, machine, tmp_path):
    model = _mlp()
    model.export(str(tmp_path), target=triple, verbose=False)
    code = (tmp_path / "digits.o").read_bytes()
    assert code[:4] == b"\x7fELF"
    assert int.from_bytes(code[18:20], "little") == machine
    assert triple in (tmp_path / "digits.h").read_text()
    if importlib.util.find_spec("ziglang") is None:
        return  # no cross linker
    x = _data(model, 3)[0]
    source = _program(model, 3, False)
    if "fmaximumf" in (tmp_path / "digits.h").read_text():
        # C23's NaN-propagating maximum, which this C library lacks.
        source += (
            "float fmaximumf(float a, float b) {\n"
            "  return a != a ? a : b != b ? b : a > b ? a : b;\n}\n"
            "float fminimumf(float a, float b) {\n"
            "  return a != a ? a : b != b ? b : a < b ? a : b;\n}\n"
        )
    (tmp_path / "main.c").write_text(source)
    x.tofile(tmp_path / "in0.bin")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ziglang",
            "cc",
            "-target",
            triple.replace("-gnu", "-musl"),
            "-static",
            "-I",
            str(tmp_path),
            "main.c",
            "digits.o",
            "-lm",
            "-o",
            "main",
        ],
        cwd=tmp_path,
        check=True,
    )
    # It links for the target (a static program); it runs where an
    # emulator is installed.
    qemu = shutil.which(f"qemu-{triple.split('-')[0]}")
    if qemu is None:
        return
    assert subprocess.run([qemu, str(tmp_path / "main")], cwd=tmp_path).returncode == 0
    got = np.fromfile(tmp_path / "out0.bin", dtype="float32")
    rtol, atol = dtypes.MODEL_TOLERANCE
    want = model.predict(x, batch_size=1, verbose=0).reshape(-1)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
