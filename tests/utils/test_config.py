"""kg.utils.Config: attribute and item access, freezing, JSON."""

from __future__ import annotations

import json

import pytest

import kgraph as kg


def test_values_are_attributes_and_items():
    config = kg.utils.Config(learning_rate=0.1)
    config.seed = 3
    config["momentum"] = 0.9
    assert config.learning_rate == 0.1 and config["seed"] == 3
    assert list(config) == ["learning_rate", "momentum", "seed"]
    assert "seed" in config and len(config) == 3
    assert json.loads(config.to_json()) == config.as_dict()
    assert config.get("missing", 5) == 5
    assert config.pop("seed") == 3


def test_a_frozen_config_refuses_changes():
    config = kg.utils.Config(a=1)
    config.freeze()
    assert config.frozen
    for change in (
        lambda: setattr(config, "b", 2),
        lambda: config.__setitem__("a", 2),
        lambda: config.update(a=3),
        lambda: config.pop("a"),
    ):
        with pytest.raises(ValueError, match="frozen"):
            change()
    config.unfreeze()
    config.b = 2
    assert config.b == 2


def test_unknown_attributes_suggest_a_close_name():
    config = kg.utils.Config(learning_rate=0.1)
    with pytest.raises(AttributeError, match="Did you mean 'learning_rate'"):
        config.learning_rat  # noqa: B018
