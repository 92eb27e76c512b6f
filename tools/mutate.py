"""A mutation check: does the suite notice representative bugs?

Each mutant is one textual change to one file of the package. For each,
the tool copies the package into a scratch folder, applies the change, runs
the tests that should notice it (against the copy) and reports whether
they failed (*killed*) or passed (*survived*: the suite is blind there).

Usage::

    python tools/mutate.py                 # every mutant
    python tools/mutate.py --only adam_sign negative_zero
    python tools/mutate.py --list

Exit status 1 when a mutant survives. The list holds the bugs an audit of
the suite planted: four that survived it then (the gradient of ``maximum``
at ties, NaN in the native max reduction, the sign of ``negative(+0.0)``
in native code, a default backend that became the interpreter) and nine it
killed; three in the planned path of small predictions
(``models.serving``); and two that special values found (``log_softmax``
losing its log beside a huge maximum, constant folding warning on
overflow).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    """One planted bug.

    Args:
        name: what to call it.
        path: the file, relative to the repository.
        old: text that occurs exactly once in the file.
        new: what replaces it.
        tests: the pytest arguments that should notice.
    """

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "maximum_tie_gradient",
        "kgraph/ops/elementwise.py",
        "        where(greater_equal(x, y), g, 0.0),\n",
        "        where(greater(x, y), g, 0.0),\n",
        ("tests/ops",),
    ),
    Mutant(
        "native_max_drops_nan",
        "kgraph/ops/reduce.py",
        'return em.intrinsic("maximum", [best, value], dtype)',
        'return em.intrinsic("maxnum", [best, value], dtype)',
        ("tests/ops/test_op_conformance.py",),
    ),
    Mutant(
        "native_negative_zero",
        "kgraph/ops/elementwise.py",
        "        return em.builder.fneg(values[0])",
        "        return em.builder.fsub(em.const(0.0, out_dtype), values[0])",
        ("tests/ops/test_op_conformance.py",),
    ),
    Mutant(
        "default_backend_interpreter",
        "kgraph/models/trainer.py",
        "            backend = config.default_backend()\n",
        '            backend = "numpy"\n',
        ("tests/models", "tests/callbacks"),
    ),
    Mutant(
        "adam_sign",
        "kgraph/optimizers/adam.py",
        "        return ops.subtract(param, change), updated",
        "        return ops.add(param, change), updated",
        ("tests/optimizers",),
    ),
    Mutant(
        "rmsprop_epsilon_outside_sqrt",
        "kgraph/optimizers/rmsprop.py",
        "        increment = ops.divide(ops.multiply(lr, grad), ops.sqrt(denominator))",
        "        increment = ops.divide(ops.multiply(lr, grad), ops.add(ops.sqrt("
        "ops.subtract(denominator, self.epsilon)), self.epsilon))",
        ("tests/optimizers",),
    ),
    Mutant(
        "partial_batch_dropped",
        "kgraph/models/trainer.py",
        "        self.total = math.ceil(samples / batch_size)",
        "        self.total = max(1, samples // batch_size)",
        ("tests/models",),
    ),
    Mutant(
        "variance_scaling_uniform_limit",
        "kgraph/initializers.py",
        "            limit = math.sqrt(3.0 * variance)",
        "            limit = math.sqrt(6.0 * variance)",
        ("tests/test_initializers.py",),
    ),
    Mutant(
        "batch_norm_momentum_default",
        "kgraph/layers/normalization.py",
        "        momentum: float = 0.99,",
        "        momentum: float = 0.9,",
        ("tests/layers",),
    ),
    Mutant(
        "sample_weight_ignored",
        "kgraph/losses/base.py",
        "        values = ops.multiply(values, sample_weight)\n",
        "        values = values\n",
        ("tests/losses",),
    ),
    Mutant(
        "clipnorm_per_row",
        "kgraph/optimizers/clipping.py",
        "    l2sum = ops.sum(ops.square(grad), axis=None, keepdims=True)",
        "    l2sum = ops.sum(ops.square(grad), axis=-1, keepdims=True)",
        ("tests/optimizers",),
    ),
    Mutant(
        "sgd_nesterov_ignored",
        "kgraph/optimizers/sgd.py",
        "        if self.nesterov:\n",
        "        if False:\n",
        ("tests/optimizers",),
    ),
    Mutant(
        "mean_over_weights",
        "kgraph/losses/base.py",
        '    if reduction == "mean_with_sample_weight" and sample_weight is not None:',
        "    if sample_weight is not None:",
        ("tests/losses",),
    ),
    Mutant(
        "log_softmax_shift_absorbs_log",
        "kgraph/ops/nn_primitives.py",
        "            shifted = builder.fsub(em.load(x, at(k)), top)\n"
        "            em.store(output, at(k), builder.fsub(shifted, log_total))\n",
        "            shift = builder.fadd(top, log_total)\n"
        "            em.store(output, at(k), builder.fsub(em.load(x, at(k)), shift))\n",
        ("tests/ops/test_op_conformance.py", "-k", "special_values"),
    ),
    Mutant(
        "folding_warns_on_overflow",
        "kgraph/compiler/simplify.py",
        '        with np.errstate(all="ignore"):\n'
        "            result = opdef.reference(arrays, node.attrs)\n",
        "        result = opdef.reference(arrays, node.attrs)\n",
        ("tests/ops/test_op_conformance.py", "-k", "graph_equals_eager"),
    ),
    Mutant(
        "serving_keeps_prepared_state",
        "kgraph/backends/llvm/serving.py",
        "            if version != slot.version:\n",
        "            if slot.version < 0:\n",
        ("tests/models/test_serving.py",),
    ),
    Mutant(
        "serving_ignores_moved_storage",
        "kgraph/models/serving.py",
        "            and self.moves == Variable.moves()\n",
        "            and True\n",
        ("tests/models/test_serving.py",),
    ),
    Mutant(
        "serving_shares_one_slot",
        "kgraph/backends/llvm/serving.py",
        "            slot = self._spare.pop()\n",
        "            slot = self._spare[-1]\n",
        ("tests/models/test_serving.py",),
    ),
)


def run(mutant: Mutant, quiet: bool = True) -> tuple[bool, float]:
    """Applies one mutant to a copy of the package and runs its tests.

    Returns:
        Whether the tests failed (the mutant was killed), and the seconds.

    Raises:
        ValueError: when the mutant's text is not in its file exactly once.
    """
    source = (ROOT / mutant.path).read_text()
    if source.count(mutant.old) != 1:
        raise ValueError(
            f"{mutant.name}: the text to change must occur once in {mutant.path}. "
            f"Received: {source.count(mutant.old)} occurrences"
        )
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder)
        shutil.copytree(ROOT / "kgraph", copy / "kgraph")
        shutil.copytree(ROOT / "tests", copy / "tests")
        shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
        target = copy / mutant.path
        target.write_text(source.replace(mutant.old, mutant.new))
        environment = dict(
            os.environ,
            PYTHONPATH=str(copy),
            KGRAPH_CACHE_DIR=str(copy / "cache"),
            HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "dev"),
        )
        started = time.monotonic()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-n",
                "0",
                "-x",
                "-q",
                *mutant.tests,
            ],
            cwd=copy,
            env=environment,
            capture_output=quiet,
            text=True,
            check=False,
        )
        return result.returncode != 0, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", help="the mutants to run (by name)")
    parser.add_argument("--list", action="store_true", help="list the mutants")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for mutant in chosen:
            print(f"{mutant.name}: {mutant.path} ({' '.join(mutant.tests)})")
        return 0
    survivors = []
    for mutant in chosen:
        killed, seconds = run(mutant)
        verdict = "killed" if killed else "SURVIVED"
        print(
            f"{verdict:9} {mutant.name:32} {seconds:6.1f} s  {mutant.path}", flush=True
        )
        if not killed:
            survivors.append(mutant.name)
    print(f"{len(chosen) - len(survivors)} of {len(chosen)} killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())
