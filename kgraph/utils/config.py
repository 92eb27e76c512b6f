"""``Config``: a dict of named values read and set as attributes, which
can be frozen, as ``keras.utils.Config``."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from typing import Any


class Config:
    """A dict-like container of named values.

    Values are set and read as attributes or items; ``freeze`` forbids
    changes from then on; ``to_json`` writes the values as JSON. Iterating
    gives the keys, sorted.

    Args:
        **kwargs: the initial values.

    Example:

    >>> config = Config(learning_rate=0.1)
    >>> config.seed = 123
    >>> config["momentum"] = 0.9
    >>> config.learning_rate, config["seed"], sorted(config)
    (0.1, 123, ['learning_rate', 'momentum', 'seed'])
    >>> config.freeze()
    >>> config.seed = 1
    Traceback (most recent call last):
    ...
    ValueError: Cannot mutate attribute(s) because the config is frozen.
    """

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        """Whether the config is frozen."""
        return self._frozen

    def freeze(self) -> None:
        """Forbids any further change."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        """Allows changes again."""
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self) -> None:
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self) -> dict[str, Any]:
        """Returns a (shallow) copy of the values as a dict."""
        return dict(self._config)

    def to_json(self) -> str:
        """Returns the values as a JSON string."""
        return json.dumps(self._config)

    def keys(self) -> Any:
        """The names, as ``dict.keys``."""
        return self._config.keys()

    def values(self) -> Any:
        """The values, as ``dict.values``."""
        return self._config.values()

    def items(self) -> Any:
        """The ``(name, value)`` pairs, as ``dict.items``."""
        return self._config.items()

    def pop(self, *args: Any) -> Any:
        """Removes and returns a value, as ``dict.pop``."""
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Sets several values, as ``dict.update``."""
        self._raise_if_frozen()
        self._config.update(*args, **kwargs)

    def get(self, keyname: str, value: Any = None) -> Any:
        """Returns a value, or ``value`` when it is missing."""
        return self._config.get(keyname, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name: str) -> Any:
        config = self.__dict__.get("_config", {})
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, list(config), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key: str, item: Any) -> None:
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __delitem__(self, key: str) -> None:
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item: Any) -> bool:
        return item in self._config

    def __len__(self) -> int:
        return len(self._config)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._config))

    def __repr__(self) -> str:
        return f"<Config {self._config}>"


__all__ = ["Config"]
