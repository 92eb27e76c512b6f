"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from typing import Any

from kgraph.optimizers.adam import Adam


class AdamW(Adam):
    """Optimizer that implements the AdamW algorithm.

    Adam (see ``Adam``) with decoupled weight decay (Loshchilov and Hutter,
    2019): before each Adam step, ``w = w - w * weight_decay *
    learning_rate``, as Keras 3's base optimizer does.

    Args:
        learning_rate: a float or a ``LearningRateSchedule``. Defaults to
            ``0.001``.
        weight_decay: the non-negative decay rate. Defaults to ``0.004``.
        beta_1: see ``Adam``. Defaults to ``0.9``.
        beta_2: see ``Adam``. Defaults to ``0.999``.
        epsilon: see ``Adam``. Defaults to ``1e-7``.
        amsgrad: see ``Adam``. Defaults to ``False``.
        clipnorm: see ``Optimizer``.
        clipvalue: see ``Optimizer``.
        global_clipnorm: see ``Optimizer``.
        name: the optimizer's name. Defaults to ``"adamw"``.
        use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
            gradient_accumulation_steps: see ``Optimizer``.
        **kwargs: see ``Optimizer``.

    Raises:
        ValueError: for an invalid argument, and when ``weight_decay`` is
            ``None``.

    Example:

    >>> import numpy as np
    >>> opt = AdamW(learning_rate=0.001, weight_decay=0.004)
    >>> zero = np.float32(0.0)
    >>> new_params, _ = opt.apply(
    ...     0, 0.001, [np.float32(1.0)], [np.float32(0.5)],
    ...     [{"momentum": zero, "velocity": zero}],
    ... )
    >>> round(float(new_params[0]), 6)
    0.998996
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = "adamw",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
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
        if self.weight_decay is None:
            raise ValueError(
                "Argument `weight_decay` must be a float. Received: weight_decay=None"
            )
