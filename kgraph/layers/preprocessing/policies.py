"""Keras's augmentation policies ``RandAugment`` and ``AugMix``, channels
last: each applies augmentation layers chosen at random, built from the
other augmentation layers with Keras's settings. The choices are drawn
from kgraph's counter-based generator (one choice per step for the whole
batch, as Keras), and every candidate is computed and the chosen one kept
with ``where``, so the graph is static and both backends agree."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from kgraph import ops
from kgraph.layers.preprocessing.augmentation import INTERPOLATIONS
from kgraph.layers.preprocessing.augmentation import SALT_BITS
from kgraph.layers.preprocessing.augmentation import RandomBrightness
from kgraph.layers.preprocessing.augmentation import RandomContrast
from kgraph.layers.preprocessing.augmentation import RandomImageLayer
from kgraph.layers.preprocessing.augmentation import RandomRotation
from kgraph.layers.preprocessing.augmentation import RandomShear
from kgraph.layers.preprocessing.augmentation import RandomTranslation
from kgraph.layers.preprocessing.augmentation import factor_range
from kgraph.layers.preprocessing.color import AutoContrast
from kgraph.layers.preprocessing.color import Equalization
from kgraph.layers.preprocessing.color import RandomColorDegeneration
from kgraph.layers.preprocessing.color import RandomPosterization
from kgraph.layers.preprocessing.color import RandomSharpness
from kgraph.layers.preprocessing.color import Solarization
from kgraph.layers.preprocessing.color import scalar_uniform
from kgraph.layers.preprocessing.color import value_range_of
from kgraph.layers.preprocessing.mixing import beta_sample
from kgraph.layers.preprocessing.mixing import log_gamma_sample

# Keras's operation lists, in its order.
GEOMETRIC_AND_TONE = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)
COLOR = (
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
)
RAND_AUGMENT_OPS = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)

Augmenter = Callable[[Any, Any], Any]


def build_augmenters(
    layer: RandomImageLayer, names: Sequence[str]
) -> dict[str, Augmenter]:
    """Keras's sub-layers of the policies, for ``layer.factor``,
    ``layer.value_range`` and ``layer.interpolation``: each a function of
    ``(images, key)``, its stream salted from ``layer``'s."""
    factor, value_range = layer.factor, layer.value_range
    interpolation = layer.interpolation

    def salt(index: int) -> int:
        return (layer.random_salt + 64 * (index + 1)) & SALT_BITS

    makers: dict[str, Callable[[int, str], Any]] = {
        "random_shear": lambda s, n: RandomShear(
            factor, factor, interpolation=interpolation, salt=s, name=n
        ),
        "random_translation": lambda s, n: RandomTranslation(
            factor, factor, interpolation=interpolation, salt=s, name=n
        ),
        "random_rotation": lambda s, n: RandomRotation(
            factor, interpolation=interpolation, salt=s, name=n
        ),
        "random_brightness": lambda s, n: RandomBrightness(
            factor, value_range=value_range, salt=s, name=n
        ),
        "random_color_degeneration": lambda s, n: RandomColorDegeneration(
            factor, value_range=value_range, salt=s, name=n
        ),
        "random_contrast": lambda s, n: RandomContrast(
            factor, value_range=value_range, salt=s, name=n
        ),
        "random_sharpness": lambda s, n: RandomSharpness(
            factor, value_range=value_range, salt=s, name=n
        ),
        "random_posterization": lambda s, n: RandomPosterization(
            max(1, int(8 * factor[1])), value_range=value_range, salt=s, name=n
        ),
        "solarization": lambda s, n: Solarization(
            factor, factor, value_range=value_range, salt=s, name=n
        ),
        "equalization": lambda s, n: Equalization(value_range=value_range, name=n),
    }
    augmenters: dict[str, Augmenter] = {}
    for index, name in enumerate(names):
        if name == "auto_contrast":
            contrast = AutoContrast(
                value_range=value_range, name=f"{layer.name}_{name}"
            )
            augmenters[name] = lambda images, key, layer=contrast: layer.call(images)
        else:
            sub = makers[name](salt(index), f"{layer.name}_{name}")
            augmenters[name] = sub.augment
    return augmenters


def choose(augmenters: Sequence[Augmenter], images: Any, key: Any, choice: Any) -> Any:
    """The images through augmenter number ``choice`` (a ``(1,)`` float
    tensor holding an integer; out of range keeps them)."""
    result = images
    for index, augment in enumerate(augmenters):
        selected = ops.equal(choice, float(index))
        result = ops.where(selected, augment(images, key), result)
    return result


def _policy_factor(layer: str, factor: Any) -> tuple[float, float]:
    return factor_range(layer, "factor", factor, (0.0, 1.0))


def _check_interpolation(layer: str, interpolation: str) -> None:
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(
            f"{layer}: unknown `interpolation` {interpolation!r}. Expected one of "
            f"{INTERPOLATIONS}. Received: interpolation={interpolation!r}"
        )


def _positive_int(layer: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(
            f"{layer}: `{name}` must be a non-negative integer. "
            f"Received: {name}={value!r}"
        )
    return int(value)


class RandAugment(RandomImageLayer):
    """Applies ``num_ops`` augmentations chosen at random in training, as
    Keras's ``RandAugment``: each step picks one of shear, translation,
    rotation, brightness, colour degeneration, contrast, sharpness,
    posterization, solarization, auto-contrast and equalization (one choice
    for the batch), all with ``factor``'s range. As in Keras, each
    operation's random parameters are drawn once per call, so an operation
    picked twice repeats them.

    Args:
        value_range: the ``(low, high)`` of the images.
        num_ops: the number of steps.
        factor: ``f`` in ``[0, 1]`` (``(0, f)``) or a pair: the strength.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> RandAugment()(np.ones((1, 8, 8, 3)), training=True).shape
    (1, 8, 8, 3)
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        num_ops: int = 2,
        factor: Any = 0.5,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range_of("RandAugment", value_range, sort=False)
        self.num_ops = _positive_int("RandAugment", "num_ops", num_ops)
        self.factor = _policy_factor("RandAugment", factor)
        _check_interpolation("RandAugment", interpolation)
        self.interpolation = interpolation
        self.augmenters = build_augmenters(self, RAND_AUGMENT_OPS)

    def is_identity(self) -> bool:
        """Without steps nothing changes."""
        return self.num_ops == 0

    def augment(self, images: Any, key: Any) -> Any:
        """Applies the drawn operations in turn."""
        count = len(RAND_AUGMENT_OPS)
        candidates = [self.augmenters[name] for name in RAND_AUGMENT_OPS]
        for step in range(self.num_ops):
            choice = ops.floor(scalar_uniform(self, key, images, step, 0.0, count))
            images = choose(candidates, images, key, choice)
        return images

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
        }


class AugMix(RandomImageLayer):
    """Mixes the image with several randomly augmented copies in training,
    as Keras's ``AugMix``: each of ``num_chains`` chains applies
    ``chain_depth`` steps, each an operation chosen at random or none
    (shear, translation, rotation, posterization, solarization,
    auto-contrast, equalization, and with ``all_ops`` brightness, colour
    degeneration, contrast and sharpness); the chains are averaged with
    Dirichlet(``alpha``) weights, blended with the image by a
    Beta(``alpha``, ``alpha``) weight and clipped to ``value_range``. Keras
    picks the operations with Python's ``random`` when tracing; kgraph
    draws them from its generator on every step (one choice per step for
    the batch), with fresh parameters per step.

    Args:
        value_range: the ``(low, high)`` of the images.
        num_chains: the number of chains.
        chain_depth: the steps per chain.
        factor: ``f`` in ``[0, 1]`` (``(0, f)``) or a pair: the strength.
        alpha: the Dirichlet and Beta parameter (positive).
        all_ops: also use the colour operations.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: an optional seed.
        data_format: ``None`` or ``"channels_last"``.
        **kwargs: base layer arguments.

    Example:

    >>> import numpy as np
    >>> AugMix(num_chains=2, chain_depth=1)(np.ones((1, 8, 8, 3)), training=True).shape
    (1, 8, 8, 3)
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: Any = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range_of("AugMix", value_range, sort=False)
        self.num_chains = _positive_int("AugMix", "num_chains", num_chains)
        self.chain_depth = _positive_int("AugMix", "chain_depth", chain_depth)
        if self.num_chains < 1:
            raise ValueError(
                f"AugMix: `num_chains` must be at least 1. Received: "
                f"num_chains={num_chains!r}"
            )
        self.factor = _policy_factor("AugMix", factor)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or alpha <= 0:
            raise ValueError(
                f"AugMix: `alpha` must be a positive number. Received: alpha={alpha!r}"
            )
        self.alpha = alpha
        self.all_ops = bool(all_ops)
        _check_interpolation("AugMix", interpolation)
        self.interpolation = interpolation
        self.operations = GEOMETRIC_AND_TONE + (COLOR if self.all_ops else ())
        self.augmenters = build_augmenters(self, self.operations)

    def augment(self, images: Any, key: Any) -> Any:
        """Mixes the drawn chains with the images."""
        like = ops.reshape(
            ops.get_item(images, (Ellipsis, slice(0, 1), slice(0, 1), slice(0, 1))),
            (-1,),
        )
        like = ops.get_item(like, slice(0, 1))
        alpha = float(self.alpha)
        logs = [
            log_gamma_sample(self, key, like, alpha, 1000 + 40 * chain)
            for chain in range(self.num_chains)
        ]
        peak = logs[0]
        for value in logs[1:]:
            peak = ops.maximum(peak, value)
        scaled = [ops.exp(ops.subtract(value, peak)) for value in logs]
        total = scaled[0]
        for value in scaled[1:]:
            total = ops.add(total, value)
        blend = beta_sample(self, key, like, alpha, 2000)
        candidates = [self.augmenters[name] for name in self.operations]
        mixed = None
        for chain in range(self.num_chains):
            chained = images
            for depth in range(self.chain_depth):
                step = chain * self.chain_depth + depth
                choice = ops.floor(
                    scalar_uniform(self, key, images, step, 0.0, len(candidates) + 1.0)
                )
                step_key = ops.add(key, (step + 1) * 0x9E3779B9)
                chained = choose(candidates, chained, step_key, choice)
            weighted = ops.multiply(chained, ops.divide(scaled[chain], total))
            mixed = weighted if mixed is None else ops.add(mixed, weighted)
        result = ops.add(
            ops.multiply(blend, images), ops.multiply(ops.subtract(1.0, blend), mixed)
        )
        low, high = (float(v) for v in self.value_range)
        return ops.clip(result, low, high)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
        }


__all__ = ["AugMix", "RandAugment"]
