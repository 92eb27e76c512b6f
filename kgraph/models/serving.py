"""Small predictions without the general path's per-call work.

The first ``predict_on_batch`` of an input signature (the arrays' container,
shapes and dtypes) takes the general path: every check of the data, the
conversions, the loop compiled. When the batch is small and the backend can
plan its call, it leaves a plan behind, and later calls of the same
signature, from ``model(x)``, ``predict_on_batch`` or a one-batch silent
``predict``, go straight to it. A signature fixes everything the general
path's checks look at but the values, so the plan checks only what depends
on them (the indices fed to an ``Embedding``).

The plans of a model hold the addresses of its state arrays: they are
dropped when the model's executables are (``compile``, a rebuilt graph) or
any variable's storage moves (``Variable.relocate``), and are not used under
a distribution.

Example:

>>> import numpy as np
>>> import kgraph as kg
>>> model = kg.Sequential([kg.layers.Dense(2, input_shape=(3,))])
>>> first = model(np.ones((1, 3), "float32"))  # general path, makes a plan
>>> again = model(np.ones((1, 3), "float32"))  # the plan
"""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Mapping
from typing import Any

import numpy as np

from kgraph import distribution as distribution_module
from kgraph.models import data as data_utils
from kgraph.ops.tensor import Variable

# The inputs of a planned call take at most this many bytes: the plan copies
# them into buffers of its own, which costs less than the general path's
# work for small batches only (and keeps the buffers).
SMALL_CALL_BYTES = 1 << 20

# A model keeps plans for at most this many signatures (a service sees a
# few batch sizes; anything else takes the general path).
MAX_PLANS = 8


class _Plans:
    """A model's plans, valid for its executables and the current storage
    of every variable."""

    def __init__(self, model: Any) -> None:
        self.executables = model._executables
        self.moves = Variable.moves()
        self.by_signature: dict[Hashable, _Plan] = {}

    def valid(self, model: Any) -> bool:
        return (
            self.executables is model._executables
            and self.moves == Variable.moves()
            and distribution_module.distribution() is None
        )


class _Plan:
    """A backend's plan and how the model's inputs and outputs map to it."""

    def __init__(self, model: Any, backend_plan: Any, x: Any, arrays: Any) -> None:
        spec = backend_plan.compiled.spec
        names = list(model.input_names)
        self.backend_plan = backend_plan
        # Where each array the loop reads is in ``x``: the array itself, a
        # position in a list, or a key of a dict.
        if isinstance(x, np.ndarray):
            self.take = None
        elif isinstance(x, Mapping):
            self.take = list(spec.data)
        else:
            self.take = [names.index(name) for name in spec.data]
        # Inputs whose values an Embedding reads as indices: checked as
        # ``data.inputs`` checks them.
        self.indexed = [
            (position, name)
            for position, name in enumerate(spec.data)
            if data_utils._gathers_of(model, name)
        ]
        self.results = list(spec.results)
        self.rows = backend_plan.rows
        self.prepares = backend_plan.prepares
        # Whether ``predict``'s own checks of the model's outputs passed.
        self.predict_checked = False
        single = len(self.results) == 1 == len(model.output_names)
        self.single = single and not isinstance(
            getattr(model, "_outputs_struct", None), dict
        )

    def __call__(self, model: Any, x: Any) -> Any:
        arrays = [x] if self.take is None else [x[i] for i in self.take]
        for position, name in self.indexed:
            data_utils.check_embedding_indices(model, name, arrays[position])
        outputs = self.backend_plan(arrays, Variable.writes())
        if self.single:
            return outputs[0]
        return model._structure_outputs(dict(zip(self.results, outputs, strict=True)))


def signature(x: Any) -> Hashable | None:
    """What a plan is made for: an array's shape and dtype, or a list,
    tuple or dict of them (``None``: anything else, never planned)."""
    if type(x) is np.ndarray:
        return (x.shape, x.dtype)
    if type(x) is list or type(x) is tuple:
        if all(type(a) is np.ndarray for a in x):
            return (type(x), *((a.shape, a.dtype) for a in x))
        return None
    if type(x) is dict and all(type(a) is np.ndarray for a in x.values()):
        return (dict, *((k, a.shape, a.dtype) for k, a in x.items()))
    return None


def plans_of(model: Any) -> _Plans | None:
    """The model's plans while they are valid, else ``None``."""
    plans = model.__dict__.get("_serving")
    if plans is None or not plans.valid(model):
        return None
    return plans


def find(model: Any, x: Any) -> _Plan | None:
    """The plan for the signature of ``x``, if the model has a valid one."""
    plans = model.__dict__.get("_serving")
    if plans is None:
        return None
    key = signature(x)
    plan = plans.by_signature.get(key) if key is not None else None
    if plan is None or not plans.valid(model):
        return None
    return plan


def predict(model: Any, x: Any) -> Any:
    """The outputs for ``x`` through its signature's plan, or ``None`` when
    there is none (the caller takes the general path)."""
    plan = find(model, x)
    return None if plan is None else plan(model, x)


def remember(
    model: Any,
    x: Any,
    arrays: Mapping[str, np.ndarray],
    specs: Mapping[str, Any],
    executable: Any,
    state: Mapping[str, np.ndarray],
) -> None:
    """Leaves a plan for the signature of ``x`` after the general path ran
    it, when the batch is small and the backend plans calls."""
    make = getattr(executable, "predict_plan", None)
    key = signature(x)
    if (
        make is None
        or key is None
        or not _one_array_per_input(model, x)
        or specs
        or distribution_module.distribution() is not None
        or sum(a.nbytes for a in arrays.values()) > SMALL_CALL_BYTES
    ):
        return
    plans = plans_of(model)
    if plans is None:
        plans = model._serving = _Plans(model)
    if key in plans.by_signature or len(plans.by_signature) >= MAX_PLANS:
        return
    backend_plan = make(state, arrays)
    if backend_plan is not None:
        plans.by_signature[key] = _Plan(model, backend_plan, x, arrays)


def _one_array_per_input(model: Any, x: Any) -> bool:
    """Whether ``x`` gives each input its own array, as a plan takes them
    (a list of arrays for one input is one stacked array to ``data.inputs``)."""
    names = model.input_names
    if isinstance(x, np.ndarray):
        return len(names) == 1
    if isinstance(x, Mapping):
        return all(name in x for name in names)
    return len(x) == len(names)
