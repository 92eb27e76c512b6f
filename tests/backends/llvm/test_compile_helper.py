"""``backends/llvm/compile_worker.py`` and the helper process of
``jit.compile_ir``: the protocol, the same code as compiling in-process,
and a refused or dead helper only costs compiling here."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

import kgraph as kg
from kgraph import errors
from kgraph.backends.llvm import compile_worker
from kgraph.backends.llvm import jit

# Two modules big enough for the helper: a function each, one calling the
# other across modules (as a step calls the kernels in its parts).
_CALLEE = (
    "define float @scaled(float %x) {\n  %y = fmul float %x, 3.0\n  ret float %y\n}\n"
)
_CALLER = (
    "declare float @scaled(float)\n"
    "define float @twice_scaled(float %x) {\n"
    "  %y = call float @scaled(float %x)\n  %z = fadd float %y, %y\n  ret float %z\n}\n"
)
# Comments pad the modules past the helper's threshold without more code.
_PAD = "; " + "x" * 78 + "\n"


def _padded(text: str) -> str:
    return text + _PAD * (jit._HELPER_MIN_BYTES // 80)


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("KGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_protocol_answers_each_request_in_order():
    requests = io.BytesIO()
    compile_worker.write_message(requests, None, _CALLEE.encode())
    compile_worker.write_message(requests, None, b"this is not IR")
    requests.seek(0)
    answers = io.BytesIO()
    compile_worker.serve(requests, answers)
    answers.seek(0)
    status, body = compile_worker.read_answer(answers)
    assert status == compile_worker.COMPILED
    assert body == compile_worker.object_code(_CALLEE)
    status, body = compile_worker.read_answer(answers)
    assert status == compile_worker.REFUSED and body


def _twice_scaled(library: jit.Library) -> float:
    import ctypes

    address = library.address("twice_scaled")
    function = ctypes.CFUNCTYPE(ctypes.c_float, ctypes.c_float)(address)
    return function(2.0)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the helper needs two cores")
def test_the_helper_compiles_part_of_the_modules(cache):
    texts = [_padded(_CALLEE), _padded(_CALLER)]
    library = jit.compile_ir(texts)
    assert jit._Helper._process is not None
    assert _twice_scaled(library) == 12.0
    # The helper's object code is what this process would have made.
    for text in texts:
        key = jit.cache_key(text)
        assert jit._read_cache(key) == compile_worker.object_code(text)


def test_without_the_helper_everything_compiles_here(cache, monkeypatch):
    monkeypatch.setenv("KGRAPH_COMPILE_HELPER", "0")
    started = []
    monkeypatch.setattr(jit._Helper, "acquire", lambda: started.append(1))
    library = jit.compile_ir([_padded(_CALLEE), _padded(_CALLER)])
    assert _twice_scaled(library) == 12.0 and not started


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the helper needs two cores")
def test_a_dead_helper_costs_a_compile_here_and_starts_again(cache):
    jit.compile_ir([_padded(_CALLEE), _padded(_CALLER) + "; first\n"])
    process = jit._Helper._process
    assert process is not None
    process.kill()
    process.wait()
    library = jit.compile_ir([_padded(_CALLEE) + "; again\n", _padded(_CALLER)])
    assert _twice_scaled(library) == 12.0
    assert jit._Helper._process is not process


def test_ir_the_helper_refuses_is_a_compile_error(cache):
    with pytest.raises(errors.CompileError, match="LLVM rejected"):
        jit.compile_ir([_padded(_CALLEE), _padded("this is not IR\n")])


def test_a_model_predicts_the_same_with_and_without_the_helper(monkeypatch, tmp_path):
    x = np.linspace(-1, 1, 40 * 16, dtype="float32").reshape(40, 16)

    def predicted(helper: str) -> np.ndarray:
        monkeypatch.setenv("KGRAPH_COMPILE_HELPER", helper)
        monkeypatch.setenv("KGRAPH_CACHE_DIR", str(tmp_path / helper))
        kg.utils.clear_session()
        kg.utils.set_random_seed(0)
        model = kg.Sequential(
            [kg.Input((16,)), kg.layers.Dense(64, activation="relu")]
            + [kg.layers.Dense(64, activation="tanh") for _ in range(6)]
        )
        model.compile(loss="mse")
        return model.predict(x, batch_size=16, verbose=0)

    np.testing.assert_array_equal(predicted("1"), predicted("0"))


@pytest.mark.parametrize(
    ("executable", "runs"),
    [
        ("/usr/bin/python3.11", True),
        ("/venv/bin/python", True),
        ("C:\\Python311\\python.exe", False),  # not a path on this system
        ("/usr/bin/pypy3", True),
        ("/usr/sbin/uwsgi", False),
        ("", False),
        (None, False),
    ],
)
def test_only_a_python_interpreter_is_started_as_the_helper(executable, runs):
    assert jit._runs_python(executable) is runs
