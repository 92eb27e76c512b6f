"""``backends/llvm/jit.py``: the on-disk object cache (hits in one process and
across processes; corrupt, foreign or unwritable entries only cost a
recompile), compile errors, and the IR/assembly dumps."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import kgraph as kg
from kgraph import errors
from kgraph import ops
from kgraph.backends.llvm import codegen
from kgraph.backends.llvm import jit
from kgraph.ir.graph import Graph
from kgraph.ops import registry
from kgraph.testing import native


@pytest.fixture
def cache(monkeypatch, tmp_path) -> Path:
    """A fresh, empty cache folder for the test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("KGRAPH_CACHE_DIR", str(folder))
    return folder


def _graph(scale: float = 2.0) -> Graph:
    """``y = tanh(x * scale)``; the scale makes distinct IR (cache keys)."""
    graph = Graph(name="jit")
    x = ops.placeholder(graph, "x", (3, 4))
    graph.set_output("y", ops.tanh(x * scale).node_id)
    return graph


X = np.linspace(-1.0, 1.0, 12, dtype="float32").reshape(3, 4)


def _check(compiled: native.CompiledGraph, scale: float = 2.0) -> None:
    result = native.run_graph(compiled, {"x": X})["y"]
    np.testing.assert_allclose(result, np.tanh(X * np.float32(scale)), rtol=1e-6)


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.o"))


# -- the cache in one process ----------------------------------------------------------


def test_the_same_ir_twice_hits_the_cache(cache):
    first = native.compile_graph(_graph())
    assert not first.library.cached
    assert _entries(cache) == [cache / f"{first.library.key}.o"]
    second = native.compile_graph(_graph())
    assert second.library.cached
    assert second.library.key == first.library.key
    assert second.ir_text == first.ir_text
    _check(first)
    _check(second)


def test_different_ir_gets_its_own_entry(cache):
    one = native.compile_graph(_graph(2.0))
    other = native.compile_graph(_graph(3.0))
    assert one.library.key != other.library.key
    assert not other.library.cached
    assert len(_entries(cache)) == 2
    _check(one, 2.0)
    _check(other, 3.0)


def test_the_key_covers_the_ir_and_the_host():
    text = native.compile_graph(_graph()).ir_text
    assert jit.cache_key(text) == jit.cache_key(text)
    assert jit.cache_key(text) != jit.cache_key(text + "\n")
    description = jit.host_description()
    assert f"kgraph {kg.__version__}" in description
    assert "llvm " in description and "llvmlite " in description


# -- corrupt entries -------------------------------------------------------------------


def _truncate(path: Path, other: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _flip_body_byte(path: Path, other: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[-100] ^= 0x01
    path.write_bytes(bytes(blob))


def _flip_checksum_byte(path: Path, other: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[len(jit._MAGIC) + 64 + 1 + 3] ^= 0x01
    path.write_bytes(bytes(blob))


def _foreign_entry(path: Path, other: Path) -> None:
    """A valid entry, but for another key (another module's code)."""
    path.write_bytes(other.read_bytes())


def _empty(path: Path, other: Path) -> None:
    path.write_bytes(b"")


def _garbage(path: Path, other: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _headerless_object(path: Path, other: Path) -> None:
    """Raw object code of another module, without the cache header."""
    blob = other.read_bytes()
    path.write_bytes(blob[blob.index(b"\n", len(jit._MAGIC)) + 1 + 64 :])


def _directory(path: Path, other: Path) -> None:
    path.unlink()
    path.mkdir()


CORRUPTIONS = [
    _truncate,
    _flip_body_byte,
    _flip_checksum_byte,
    _foreign_entry,
    _empty,
    _garbage,
    _headerless_object,
    _directory,
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
def test_a_corrupt_entry_is_ignored_and_rebuilt(cache, corrupt):
    other = native.compile_graph(_graph(3.0))
    first = native.compile_graph(_graph(2.0))
    path = cache / f"{first.library.key}.o"
    corrupt(path, cache / f"{other.library.key}.o")
    assert jit._read_cache(first.library.key) is None
    again = native.compile_graph(_graph(2.0))
    assert not again.library.cached
    _check(again, 2.0)
    if path.is_file():
        # The rebuilt entry replaced the corrupt one and is used next time.
        third = native.compile_graph(_graph(2.0))
        assert third.library.cached
        _check(third, 2.0)
    assert not list(cache.glob("*.tmp"))


# -- a cache that cannot be written ----------------------------------------------------


def test_a_cache_under_a_file_only_costs_a_recompile(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("KGRAPH_CACHE_DIR", str(blocker / "cache"))
    for _ in range(2):
        compiled = native.compile_graph(_graph())
        assert not compiled.library.cached
        _check(compiled)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes to read-only folders",
)
def test_a_read_only_cache_only_costs_a_recompile(monkeypatch, tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o500)
    monkeypatch.setenv("KGRAPH_CACHE_DIR", str(folder))
    try:
        for _ in range(2):
            compiled = native.compile_graph(_graph())
            assert not compiled.library.cached
            _check(compiled)
    finally:
        folder.chmod(0o700)


def test_a_failed_write_leaves_no_temporary_file(cache, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(jit.os, "replace", refuse)
    compiled = native.compile_graph(_graph())
    _check(compiled)
    assert list(cache.iterdir()) == []


# -- the cache across processes --------------------------------------------------------

_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import kgraph as kg

    kg.utils.clear_session()
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [kg.Input((3,)), kg.layers.Dense(4, activation="tanh"), kg.layers.Dense(2)]
    )
    model.compile(optimizer="adam", loss="mse", backend="llvm")
    x = np.linspace(-1, 1, 30, dtype="float32").reshape(10, 3)
    predictions = model.predict(x, batch_size=4, verbose=0)
    loops = [
        {"key": list(key), "cached": loop.library.cached,
         "seconds": loop.library.seconds, "cache_key": loop.library.key}
        for executable in model._executables.values()
        for key, loop in executable.loops.items()
    ]
    json.dump({"loops": loops, "predictions": predictions.tolist()}, sys.stdout)
    """
)


def _run_script(cache: Path) -> dict:
    env = {**os.environ, "KGRAPH_CACHE_DIR": str(cache)}
    env.pop("KGRAPH_DUMP_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_second_process_loads_the_cached_code(cache):
    first = _run_script(cache)
    second = _run_script(cache)
    assert [loop["key"] for loop in first["loops"]] == [["predict", 4, 2]]
    assert [loop["cached"] for loop in first["loops"]] == [False]
    assert [loop["cached"] for loop in second["loops"]] == [True]
    assert second["loops"][0]["cache_key"] == first["loops"][0]["cache_key"]
    assert second["predictions"] == first["predictions"]
    # One entry per module (the loop, the full-batch step and the partial
    # one) and the record that finds them from the programs.
    assert len(_entries(cache)) == 4


# -- compile errors --------------------------------------------------------------------


def test_a_failed_lowering_names_the_op_and_the_node(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no rule for this case")

    opdef = registry.get("tanh")
    monkeypatch.setitem(
        registry._REGISTRY, "tanh", dataclasses.replace(opdef, lower=broken)
    )
    with pytest.raises(errors.CompileError) as caught:
        native.compile_graph(_graph())
    message = str(caught.value)
    assert "Lowering tanh to LLVM failed: no rule for this case" in message
    assert re.search(r"Received: %\d+ = tanh\(%\d+\) : f32\[3,4\]", message)
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_a_failed_lowering_in_a_model_names_the_layer(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("unsupported")

    kg.utils.clear_session()
    model = kg.Sequential([kg.Input((3,)), kg.layers.Dense(2, activation="tanh")])
    model.compile(optimizer="sgd", loss="mse", backend="llvm")
    opdef = registry.get("sum")
    monkeypatch.setitem(
        registry._REGISTRY, "sum", dataclasses.replace(opdef, lower=broken)
    )
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    with pytest.raises(errors.CompileError) as caught:
        model.fit(x, y, verbose=0)
    assert re.search(
        r"Lowering sum to LLVM failed: unsupported\. "
        r"Received: %\d+ = sum\(%\d+\) .* : f32\[4\]  # loss/dense$",
        str(caught.value),
    )
    monkeypatch.setitem(registry._REGISTRY, "sum", opdef)
    model.fit(x, y, verbose=0)


def test_llvm_rejecting_the_ir_is_a_compile_error(cache):
    with pytest.raises(errors.CompileError, match=r"LLVM rejected the generated IR"):
        jit.compile_ir("define void @f( {")
    assert _entries(cache) == []


def test_a_missing_symbol_is_a_compile_error():
    library = native.compile_graph(_graph()).library
    with pytest.raises(errors.CompileError, match=r"No compiled function named nope"):
        library.address("nope")


# -- dumps -----------------------------------------------------------------------------


def _small_model():
    kg.utils.clear_session()
    kg.utils.set_random_seed(0)
    model = kg.Sequential([kg.Input((3,)), kg.layers.Dense(2, activation="tanh")])
    model.compile(optimizer="sgd", loss="mse", backend="llvm")
    return model


def _kernel_names(program, step: str) -> set[str]:
    """Kernels of the nodes that run alone (loop groups get one kernel of
    their own, named after their members)."""
    graph = program.graph

    def computed(node_id):
        opdef = registry.get(graph.node(node_id).op)
        return opdef.kind != registry.SOURCE and not opdef.view

    alone = [
        unit[0]
        for unit in program.plan.units
        if sum(1 for node_id in unit if computed(node_id)) == 1 and computed(unit[0])
    ]
    return {f"{step}_{codegen.kernel_name(graph.node(node_id))}" for node_id in alone}


def test_dump_dir_receives_ir_optimized_ir_and_assembly(monkeypatch, tmp_path):
    folder = tmp_path / "dumps"
    monkeypatch.setenv("KGRAPH_DUMP_DIR", str(folder))
    model = _small_model()
    x = np.ones((20, 3), "float32")
    model.fit(x, np.zeros((20, 2), "float32"), batch_size=7, verbose=0)
    # (The compiler's passes dump their graphs into sub-folders.)
    assert sorted(path.name for path in folder.iterdir() if path.is_file()) == [
        "train_b7_p6.ll",
        "train_b7_p6.opt.ll",
        "train_b7_p6.s",
    ]
    ir_text = (folder / "train_b7_p6.ll").read_text()
    assert (
        ir_text
        == next(iter(model._executables.values())).loops[("train", 7, 6)].ir_text
    )
    assert 'define i64 @"kgraph_train_loop"' in ir_text
    for index, batch_size in enumerate((7, 6)):
        step = f"kgraph_train_loop_step{index}"
        assert f'define void @"{step}"' in ir_text
        for name in _kernel_names(model.compiled_program("train", batch_size), step):
            assert f'define internal void @"{name}"' in ir_text
    optimized = (folder / "train_b7_p6.opt.ll").read_text()
    assert re.search(r"^define [^@\n]*@\"?kgraph_train_loop\"?\(", optimized, re.M)
    assembly = (folder / "train_b7_p6.s").read_text()
    assert re.search(r"^\"?kgraph_train_loop\"?:", assembly, re.M)


@pytest.mark.parametrize("stage", ["llvm-ir", "llvm-ir-optimized", "asm"])
def test_kg_dump_returns_native_code(stage):
    model = _small_model()
    text = kg.dump(model, stage=stage, batch_size=8)
    entry = r'^define [^@\n]*@"?kgraph_train_loop"?\('
    if stage == "asm":
        entry = r'^"?kgraph_train_loop"?:'
    assert re.search(entry, text, re.M)
    if stage == "llvm-ir":
        # One kernel per computed node, named after its layer and node (the
        # optimizer inlines them into the step, so later stages lose them).
        program = model.compiled_program("train", 8)
        names = _kernel_names(program, "kgraph_train_loop_step0")
        assert any("_dense_" in name for name in names)
        for name in names:
            assert f'define internal void @"{name}"' in text


def test_kg_dump_of_native_code_is_text_only():
    with pytest.raises(ValueError, match=r"text only"):
        kg.dump(_small_model(), format="dot", stage="asm")


def test_cached_loop_keeps_the_order_of_the_outputs(cache):
    # The loop record stores the results in order: outputs whose names are
    # not sorted must come back in the model's order from a warm cache.
    script = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        import kgraph as kg
        from kgraph import layers

        x = kg.Input((3,))
        model = kg.Model(x, [layers.Dense(1, name="zeta")(x),
                             layers.Dense(2, name="alpha")(x)])
        model.compile(optimizer="sgd", loss="mse", backend="llvm")
        out = model.predict(np.ones((4, 3), "float32"), verbose=0)
        json.dump([list(o.shape) for o in out], sys.stdout)
        """
    )
    env = {**os.environ, "KGRAPH_CACHE_DIR": str(cache)}
    env.pop("KGRAPH_DUMP_DIR", None)
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [[4, 1], [4, 2]]
