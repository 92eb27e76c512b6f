"""kgraph.objects: the custom-object registry and the object families."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import activations
from kgraph import errors
from kgraph import initializers
from kgraph import losses
from kgraph import metrics
from kgraph import objects
from kgraph import optimizers
from kgraph import regularizers
from kgraph import saving
from kgraph.saving import serialization


class Thing:
    def __init__(self, size: int = 1) -> None:
        self.size = size

    def __call__(self, x):
        return x

    def get_config(self):
        return {"size": self.size}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def double(x):
    return x * 2


FAMILY = objects.ObjectFamily("thing", Thing, {"Thing": Thing, "double": double})


# -- ObjectFamily --


def test_get_none_gives_the_default():
    assert FAMILY.get(None) is None
    family = objects.ObjectFamily("thing", Thing, {}, default=double)
    assert family.get(None) is double


def test_get_by_name_makes_an_instance_or_returns_the_function():
    assert isinstance(FAMILY.get("Thing"), Thing)
    assert FAMILY.get("double") is double


def test_get_dict_deserializes():
    thing = FAMILY.get({"class_name": "Thing", "config": {"size": 3}})
    assert isinstance(thing, Thing) and thing.size == 3
    assert FAMILY.get({"class_name": "function", "config": "double"}) is double


def test_get_class_instance_and_callable():
    assert isinstance(FAMILY.get(Thing), Thing)
    thing = Thing()
    assert FAMILY.get(thing) is thing
    assert FAMILY.get(np.tanh) is np.tanh


def test_get_unknown_lists_the_names():
    with pytest.raises(
        ValueError,
        match=r"Could not interpret thing identifier\. Expected one of: Thing, "
        r"double, a Thing, or a callable\. Received: thing='nope'$",
    ):
        FAMILY.get("nope")
    with pytest.raises(ValueError, match=r"Received: thing=5$"):
        FAMILY.get(5)


def test_serialize_round_trips():
    config = FAMILY.serialize(Thing(4))
    assert config == {"class_name": "Thing", "config": {"size": 4}}
    assert FAMILY.deserialize(config).size == 4
    assert FAMILY.serialize(double) == {"class_name": "function", "config": "double"}
    assert FAMILY.serialize(None) is None
    with pytest.raises(ValueError, match=r"Received: thing=3$"):
        FAMILY.serialize(3)


def test_deserialize_unknown_class_names_the_valid_ones():
    with pytest.raises(
        ValueError,
        match=r"Could not deserialize thing\. Expected a class_name in Thing or a "
        r"function\. Received: thing=\{'class_name': 'Other'",
    ):
        FAMILY.deserialize({"class_name": "Other", "config": {}})


def test_deserialize_finds_custom_objects_and_scopes():
    class Other(Thing):
        pass

    config = {"class_name": "Other", "config": {"size": 2}}
    assert type(FAMILY.deserialize(config, {"Other": Other})) is Other
    with objects.custom_object_scope({"Other": Other}):
        assert type(FAMILY.deserialize(config)) is Other
        assert type(FAMILY.get("Other")) is Other
    with pytest.raises(ValueError):
        FAMILY.deserialize(config)


def test_case_insensitive_family():
    family = objects.ObjectFamily(
        "thing", Thing, {"thing": Thing}, case_insensitive=True
    )
    assert isinstance(family.get("THING"), Thing)


# -- the registry --


def test_saving_re_exports_the_registry():
    for name in (
        "register_keras_serializable",
        "get_custom_objects",
        "custom_object_scope",
        "CustomObjectScope",
        "get_registered_name",
        "get_registered_object",
    ):
        assert getattr(saving, name) is getattr(objects, name)
    assert serialization.lookup is objects.lookup
    assert serialization.registered_name is objects.registered_name


@pytest.fixture
def registered():
    """Registers one custom class per family, removed afterwards."""
    before = dict(objects.get_custom_objects())

    @objects.register_keras_serializable(package="objtest")
    class MyInit(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 7.0, dtype="float32")

    @objects.register_keras_serializable(package="objtest")
    class MyReg(regularizers.Regularizer):
        def __call__(self, x):
            return 0.0

    @objects.register_keras_serializable(package="objtest")
    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return losses.mean_squared_error(y_true, y_pred)

    @objects.register_keras_serializable(package="objtest")
    class MyMetric(metrics.Mean):
        pass

    @objects.register_keras_serializable(package="objtest")
    class MyOpt(optimizers.SGD):
        pass

    @objects.register_keras_serializable(package="objtest")
    def my_act(x):
        return x

    yield {
        initializers: MyInit,
        regularizers: MyReg,
        losses: MyLoss,
        metrics: MyMetric,
        optimizers: MyOpt,
        activations: my_act,
    }
    objects.get_custom_objects().clear()
    objects.get_custom_objects().update(before)


@pytest.mark.parametrize(
    "module", [initializers, regularizers, losses, metrics, optimizers]
)
def test_registered_class_found_by_name_in_every_family(registered, module):
    cls = registered[module]
    assert type(module.get(cls.__name__)) is cls
    assert type(module.get(f"objtest>{cls.__name__}")) is cls
    restored = module.deserialize(module.serialize(module.get(cls)))
    assert type(restored) is cls


def test_registered_activation_found_by_name(registered):
    fn = registered[activations]
    assert activations.get("my_act") is fn
    assert activations.deserialize("objtest>my_act") is fn


def test_custom_objects_reach_every_family():
    class Custom(initializers.Zeros):
        pass

    config = {"class_name": "Custom", "config": {}}
    assert type(initializers.deserialize(config, {"Custom": Custom})) is Custom
    with pytest.raises(ValueError, match="Could not deserialize initializer"):
        initializers.deserialize(config)


def test_registered_function_loss_is_wrapped(registered):
    @objects.register_keras_serializable(package="objtest")
    def my_loss(y_true, y_pred):
        return losses.mean_squared_error(y_true, y_pred)

    loss = losses.get("my_loss")
    assert isinstance(loss, losses.LossFunctionWrapper)
    assert loss.name == "my_loss"


# -- structured error context --


def test_shape_error_context_defaults_to_none():
    assert errors.ShapeError("bad").context is None
    context = errors.ErrorContext("loss", "mse")
    error = errors.ShapeError("Loss 'mse': bad", context=context)
    assert error.context == context
    assert str(error) == "Loss 'mse': bad"


def test_loss_shape_errors_carry_their_context():
    with pytest.raises(errors.ShapeError) as info:
        losses.mean_squared_error(np.zeros((2, 3)), np.zeros((2, 4)))
    assert info.value.context == errors.ErrorContext("loss", "mean_squared_error")
    assert str(info.value).startswith("Loss 'mean_squared_error': ")


def test_loss_wrapper_keeps_an_error_that_has_context():
    @losses._with_shape_context
    def inner(y_true, y_pred):
        raise errors.ShapeError(
            "Already explained.", context=errors.ErrorContext("loss", "other")
        )

    with pytest.raises(errors.ShapeError, match=r"^Already explained\.$"):
        inner(np.zeros(2), np.zeros(2))


def test_metric_wraps_a_loss_error_once():
    metric = metrics.MeanSquaredError()
    with pytest.raises(errors.ShapeError) as info:
        metric.update_state(np.zeros((2, 3)), np.zeros((2, 4)))
    assert info.value.context == errors.ErrorContext("metric", metric.name)
    message = str(info.value)
    assert message.startswith(f"Metric '{metric.name}': Loss 'mean_squared_error': ")
    assert message.count("Metric '") == 1


def test_metric_context_is_not_wrapped_again():
    with (
        pytest.raises(errors.ShapeError, match=r"^Metric 'm': x$"),
        metrics._shape_context("outer", None, None),
    ):
        raise errors.ShapeError(
            "Metric 'm': x", context=errors.ErrorContext("metric", "m")
        )
