"""Muon: momentum orthogonalized by Newton-Schulz iterations, with AdamW
for the weights it does not suit, as Keras 3 writes it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from kgraph import ops
from kgraph.optimizers.arguments import check_beta
from kgraph.optimizers.arguments import check_bool
from kgraph.optimizers.arguments import check_float
from kgraph.optimizers.arguments import check_non_negative
from kgraph.optimizers.optimizer import Optimizer
from kgraph.tensor import Variable


class Muon(Optimizer):
    """Optimizer that implements the Muon algorithm (with AdamW beside it).

    A weight of rank 2 (not an embedding when ``exclude_embeddings``, and
    whose path matches none of ``exclude_layers``) gets Muon's update::

        momentum = momentum_rate * momentum + g
        u = g + momentum_rate * momentum    # nesterov, else u = momentum
        w = w - lr * NS(u) * sqrt(max(rows, cols)) * rms_rate

    where ``NS`` runs ``ns_steps`` Newton-Schulz iterations on ``u`` scaled
    to Frobenius norm 1 (``x = a * x + (b * A + c * A @ A) @ x`` with ``A =
    x @ x.T``, on the transpose when ``u`` has more rows than columns) and
    ``rms_rate=None`` drops the last factors. Every other weight gets
    Adam's update (see ``Adam``) with ``adam_beta_1``, ``adam_beta_2``,
    ``epsilon`` and the learning rate times ``adam_lr_ratio``. Weight decay
    is ``weight_decay`` for Muon's weights and ``adam_weight_decay`` for
    Adam's. Muon's weights have a ``momentum`` slot, Adam's a ``momentum``
    and a ``velocity`` (Keras's variables, in its order).

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        adam_beta_1, adam_beta_2: Adam's moment decay rates, in ``[0, 1)``.
            Default to ``0.9`` and ``0.999``.
        adam_weight_decay: the weight decay of Adam's weights. Defaults to
            ``0.004``.
        epsilon: Adam's epsilon. Defaults to ``1e-7``.
        weight_decay: the weight decay of Muon's weights. Defaults to
            ``0.004``.
        clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
            ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"muon"``.
        exclude_layers: regular expressions; a weight whose path matches
            one gets Adam.
        exclude_embeddings: whether weights with ``"embedding"`` in their
            path get Adam. Defaults to ``True``.
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients. Default to
            ``3.4445``, ``-4.775`` and ``2.0315``.
        adam_lr_ratio: Adam's learning rate over Muon's. Defaults to ``1``.
        momentum: Muon's momentum rate, in ``[0, 1)``. Defaults to ``0.95``.
        ns_steps: the number of Newton-Schulz iterations. Defaults to ``5``.
        nesterov: whether to use Nesterov momentum. Defaults to ``True``.
        rms_rate: the update's RMS scale, or ``None``. Defaults to ``0.2``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, naming it.

    Example:

    >>> import numpy as np
    >>> import kgraph
    >>> kernel = kgraph.Variable(np.eye(2, dtype="float32"), "kernel", "d/kernel")
    >>> opt = Muon(learning_rate=0.1, weight_decay=None, rms_rate=None, ns_steps=0)
    >>> _ = opt.apply_gradients([(np.eye(2, dtype="float32"), kernel)])
    >>> kernel.numpy().round(4)
    array([[0.9293, 0.    ],
           [0.    , 0.9293]], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        exclude_layers: Sequence[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.775,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.adam_beta_1 = check_beta("adam_beta_1", adam_beta_1)
        self.adam_beta_2 = check_beta("adam_beta_2", adam_beta_2)
        self.adam_weight_decay = check_float(
            "adam_weight_decay", adam_weight_decay, minimum=0.0
        )
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = check_bool("exclude_embeddings", exclude_embeddings)
        self.muon_a = _number("muon_a", muon_a)
        self.muon_b = _number("muon_b", muon_b)
        self.muon_c = _number("muon_c", muon_c)
        self.adam_lr_ratio = check_non_negative("adam_lr_ratio", adam_lr_ratio)
        self.momentum = check_beta("momentum", momentum)
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(
                "Argument `ns_steps` must be a non-negative integer. "
                f"Received: ns_steps={ns_steps!r}"
            )
        self.ns_steps = ns_steps
        self.nesterov = check_bool("nesterov", nesterov)
        self.rms_rate = check_float("rms_rate", rms_rate, minimum=0.0)

    def uses_adam(self, variable: Variable) -> bool:
        """Whether ``variable`` gets Adam's update (Keras's
        ``_should_use_adamw``): not of rank 2, an embedding, or excluded."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(pattern, variable.path) for pattern in self.exclude_layers)

    def slot_groups(self) -> list[tuple[str, ...]]:
        """``momentum`` per weight, and ``velocity`` for Adam's weights."""
        return [("momentum", "velocity")]

    def slot_spec(
        self, param: Variable, slot_name: str
    ) -> tuple[tuple, str, Any] | None:
        """No ``velocity`` for Muon's weights."""
        if slot_name == "velocity" and not self.uses_adam(param):
            return None
        return param.shape, param.dtype, 0.0

    def weight_decay_for(self, slots: Mapping[str, Any]) -> float | None:
        """``adam_weight_decay`` for Adam's weights, else ``weight_decay``."""
        return self.adam_weight_decay if "velocity" in slots else self.weight_decay

    def update_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """Adam's update for a weight with a ``velocity`` slot, else Muon's."""
        if "velocity" in slots:
            return self._adam_step(
                step, ops.multiply(lr, self.adam_lr_ratio), param, grad, slots
            )
        momentum = ops.add(ops.multiply(slots["momentum"], self.momentum), grad)
        direction = momentum
        if self.nesterov:
            direction = ops.add(grad, ops.multiply(momentum, self.momentum))
        update = ops.multiply(lr, self._orthogonalize(direction))
        if self.rms_rate is not None:
            rows, cols = param.shape[0], param.shape[1]
            update = ops.multiply(update, math.sqrt(max(rows, cols)) * self.rms_rate)
        return ops.subtract(param, update), {"momentum": momentum}

    def _adam_step(
        self, step: Any, lr: Any, param: Any, grad: Any, slots: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        dtype = param.dtype
        local_step = ops.cast(ops.add(step, 1), dtype)
        beta_1_power = ops.power(ops.cast(self.adam_beta_1, dtype), local_step)
        beta_2_power = ops.power(ops.cast(self.adam_beta_2, dtype), local_step)
        alpha = ops.divide(
            ops.multiply(lr, ops.sqrt(ops.subtract(1.0, beta_2_power))),
            ops.subtract(1.0, beta_1_power),
        )
        momentum = ops.add(
            slots["momentum"],
            ops.multiply(ops.subtract(grad, slots["momentum"]), 1 - self.adam_beta_1),
        )
        velocity = ops.add(
            slots["velocity"],
            ops.multiply(
                ops.subtract(ops.square(grad), slots["velocity"]), 1 - self.adam_beta_2
            ),
        )
        change = ops.divide(
            ops.multiply(momentum, alpha), ops.add(ops.sqrt(velocity), self.epsilon)
        )
        return ops.subtract(param, change), {"momentum": momentum, "velocity": velocity}

    def _orthogonalize(self, x: Any) -> Any:
        """Keras's ``zeropower_via_newtonschulz5`` for a matrix."""
        tall = x.shape[0] > x.shape[1]
        if tall:
            x = ops.transpose(x)
        norm = ops.sqrt(ops.sum(ops.square(x)))
        x = ops.divide(x, ops.add(norm, 1e-7))
        for _ in range(self.ns_steps):
            gram = ops.matmul(x, ops.transpose(x))
            poly = ops.add(
                ops.multiply(gram, self.muon_b),
                ops.multiply(ops.matmul(gram, gram), self.muon_c),
            )
            x = ops.add(ops.multiply(x, self.muon_a), ops.matmul(poly, x))
        return ops.transpose(x) if tall else x

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments, with Keras 3's keys."""
        config = super().get_config()
        config.update(
            {
                "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers,
                "muon_a": self.muon_a,
                "muon_b": self.muon_b,
                "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum,
                "ns_steps": self.ns_steps,
                "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate,
            }
        )
        return config


def _number(name: str, value: Any) -> float:
    result = check_float(name, value, allow_none=False)
    assert result is not None
    return result
