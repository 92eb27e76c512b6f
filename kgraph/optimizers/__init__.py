"""``kgraph.optimizers``: Keras 3's optimizers, as graph-op update rules.

Each optimizer's ``apply`` is written with ``kgraph.ops``, so the compiler
inlines it into the training-step graph. Optimizers are found by name with
``get`` (``"adam"``, ``"sgd"``, ...), and configs round-trip through
``serialize`` and ``deserialize`` in Keras 3's format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgraph import objects
from kgraph.optimizers import legacy
from kgraph.optimizers import schedules
from kgraph.optimizers.adadelta import Adadelta
from kgraph.optimizers.adafactor import Adafactor
from kgraph.optimizers.adagrad import Adagrad
from kgraph.optimizers.adam import Adam
from kgraph.optimizers.adamax import Adamax
from kgraph.optimizers.adamw import AdamW
from kgraph.optimizers.ftrl import Ftrl
from kgraph.optimizers.lamb import Lamb
from kgraph.optimizers.lion import Lion
from kgraph.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kgraph.optimizers.muon import Muon
from kgraph.optimizers.nadam import Nadam
from kgraph.optimizers.optimizer import Optimizer
from kgraph.optimizers.rmsprop import RMSprop
from kgraph.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kgraph.optimizers.sgd import SGD

# Keras's lookup table: lower-cased class names.
ALL_OBJECTS_DICT: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls
    for cls in (
        Adadelta,
        Adafactor,
        Adagrad,
        Adam,
        Adamax,
        AdamW,
        Ftrl,
        Lamb,
        Lion,
        LossScaleOptimizer,
        Muon,
        Nadam,
        RMSprop,
        SGD,
        ScheduleFreeAdamW,
    )
}


class _Optimizers(objects.ObjectFamily):
    """Optimizers: names match case-insensitively, configs are Keras 3's
    full dicts, schedules come through ``custom_objects``, and callables
    are not optimizers."""

    def make(self, found: Any, name: str | None) -> Any:
        if not isinstance(found, type):
            raise self.unknown(name)
        return self.from_config(found, {}, None)

    def from_callable(self, fn: Any) -> Any:
        raise self.unknown(fn)

    def from_config(self, cls: Any, config: dict[str, Any], custom_objects: Any) -> Any:
        return cls.from_config(config, custom_objects=dict(custom_objects or {}))

    def config_of(self, obj: Any) -> dict[str, Any]:
        return {
            "module": "keras.optimizers",
            "class_name": type(obj).__name__,
            "config": obj.get_config(),
            "registered_name": None,
        }

    def unknown(self, identifier: Any) -> ValueError:
        valid = ", ".join(repr(name) for name in self.names())
        return ValueError(
            "Could not interpret optimizer identifier. Expected an Optimizer, a "
            f"config dict or one of the names {valid} (case-insensitive). "
            f"Received: optimizer={identifier!r}"
        )

    def cannot_deserialize(self, config: Mapping[str, Any]) -> ValueError:
        return self.unknown(config)


FAMILY = _Optimizers("optimizer", Optimizer, ALL_OBJECTS_DICT, case_insensitive=True)
"""The optimizers' ``ObjectFamily``: lower-cased names to classes."""


get, serialize, deserialize = FAMILY.public_functions(
    __name__,
    {
        "get": """>>> get("Adam").learning_rate
0.001""",
        "serialize": """>>> serialize(SGD())["class_name"]
'SGD'""",
    },
)


__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "legacy",
    "schedules",
    "serialize",
]
