"""One registry for Keras's object families, as Keras's ``serialization_lib``.

Activations, initializers, regularizers, losses, metrics and optimizers are
each an ``ObjectFamily``: a table of built-in names (classes, functions and
aliases) with the same ``get``, ``serialize`` and ``deserialize``. Names a
family does not know are looked up in the custom-object registry kept here
(``register_keras_serializable``, ``get_custom_objects``,
``custom_object_scope``), so a registered class or function is found by name
in every family and when a model is loaded.

This module sits low in kgraph: it imports nothing of kgraph but
``kgraph.errors``.

Example:

>>> class Half:
...     def __call__(self, x):
...         return x * 0.5
>>> family = ObjectFamily("scaler", None, {"half": Half})
>>> type(family.get("half")).__name__
'Half'
>>> family.get(None) is None
True
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

# Custom classes and functions registered with
# ``register_keras_serializable``, by "package>name".
_REGISTERED: dict[str, Any] = {}
# Scopes opened by ``custom_object_scope``, innermost last.
_SCOPES: list[dict[str, Any]] = []


def register_keras_serializable(
    package: str = "Custom", name: str | None = None
) -> Callable[[Any], Any]:
    """Registers a class or function so saved models find it by name.

    As in Keras, the registered name is ``"package>name"`` (``name``
    defaults to the class or function name); ``load_model`` and every
    family's ``get``/``deserialize`` find the object without
    ``custom_objects``.

    Args:
        package: the package part of the registered name.
        name: the name part (default: the object's ``__name__``).

    Returns:
        A decorator that registers and returns its argument.

    Example:

    >>> @register_keras_serializable(package="demo")
    ... def double(x):
    ...     return x * 2.0
    >>> registered_name(double)
    'demo>double'
    """

    def decorator(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        _REGISTERED[key] = obj
        obj._kgraph_registered_name = key
        return obj

    return decorator


def get_custom_objects() -> dict[str, Any]:
    """Returns the global dict of custom objects (Keras's
    ``get_custom_objects``): what ``register_keras_serializable`` adds to,
    and what loading consults; adding to it registers an object by name.

    Returns:
        The live dict, name to class or function.

    Example:

    >>> class Scale:
    ...     pass
    >>> get_custom_objects()["Scale"] = Scale
    >>> lookup("Scale", None, None) is Scale
    True
    >>> del get_custom_objects()["Scale"]
    """
    return _REGISTERED


class custom_object_scope:
    """A ``with`` block inside which loading finds these custom objects.

    Args:
        *objects: dicts of name to class or function.

    Example:

    >>> class Scale:
    ...     pass
    >>> with custom_object_scope({"Scale": Scale}):
    ...     lookup("Scale", None, None) is Scale
    True
    >>> lookup("Scale", None, None) is None
    True
    """

    def __init__(self, *objects: Mapping[str, Any] | None) -> None:
        self.objects: dict[str, Any] = {}
        for table in objects:
            self.objects.update(table or {})

    def __enter__(self) -> custom_object_scope:
        _SCOPES.append(self.objects)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _SCOPES.remove(self.objects)


CustomObjectScope = custom_object_scope


def get_registered_object(
    name: str,
    custom_objects: Mapping[str, Any] | None = None,
    module_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Returns the class or function registered (or in scope) under
    ``name``, else ``None``.

    Args:
        name: a registered name (``"package>name"``) or a plain name.
        custom_objects: extra objects by name, consulted first.
        module_objects: objects by name consulted last (after the
            registry), as Keras does.

    Returns:
        The object, or ``None``.
    """
    found = lookup(name, name, custom_objects)
    if found is None and module_objects:
        found = module_objects.get(name)
    return found


def get_registered_name(obj: Any) -> str:
    """The name an object is saved under (Keras's ``get_registered_name``).

    Args:
        obj: a class, function or instance.

    Returns:
        Its registered name, else its class (or function) name.
    """
    return registered_name(obj)


def registered_name(obj: Any) -> str:
    """The name an object is stored under: its registered name, if any,
    else its class (or function) name.

    Args:
        obj: a class, function or instance.

    Returns:
        The name.
    """
    target = obj if isinstance(obj, type | types.FunctionType) else type(obj)
    registered = getattr(target, "_kgraph_registered_name", None)
    if registered and _REGISTERED.get(registered) is target:
        return registered
    return target.__name__


def lookup(
    class_name: str,
    registered: str | None,
    custom_objects: Mapping[str, Any] | None,
) -> Any:
    """Finds a custom object by registered name, then class name, in
    ``custom_objects`` (and the open scopes) and then the registry.

    Args:
        class_name: the class or function name.
        registered: the registered name (``"package>name"``), if known.
        custom_objects: extra objects by name, consulted first.

    Returns:
        The object, or ``None`` if absent.
    """
    custom: dict[str, Any] = {}
    for scope in _SCOPES:
        custom.update(scope)
    custom.update(custom_objects or {})
    for key in (registered, class_name):
        if key and key in custom:
            return custom[key]
    for key in (registered, class_name):
        if key and key in _REGISTERED:
            return _REGISTERED[key]
    for key, obj in _REGISTERED.items():
        if key.split(">", 1)[-1] == class_name:
            return obj
    return None


def snake_case(name: str) -> str:
    """Turns a class name into the snake-case name Keras finds it by
    (``"L1L2"`` -> ``"l1_l2"``, ``"HeNormal"`` -> ``"he_normal"``).

    Args:
        name: a class name.

    Returns:
        The lower-case, underscore-separated name.

    Example:

    >>> snake_case("SparseCategoricalAccuracy")
    'sparse_categorical_accuracy'
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def name_table(
    items: Any, aliases: Mapping[str, Any] | None = None, *, snake: bool = True
) -> dict[str, Any]:
    """Builds a family's table of names: each class (or function) by its
    ``__name__`` and, for classes, its snake-case name, then the aliases.

    Args:
        items: the classes or functions.
        aliases: extra names.
        snake: whether classes are found by their snake-case names too.

    Returns:
        The dict, name to object.

    Example:

    >>> class HeNormal:
    ...     pass
    >>> sorted(name_table([HeNormal], {"he": HeNormal}))
    ['HeNormal', 'he', 'he_normal']
    """
    table = {item.__name__: item for item in items}
    if snake:
        table |= {snake_case(c.__name__): c for c in items if inspect.isclass(c)}
    return table | dict(aliases or {})


class FunctionWrapper:
    """The configuration of a family class that applies a function with
    fixed keyword arguments (``LossFunctionWrapper``,
    ``MeanMetricWrapper``).

    The generic wrapper (the class that lists ``FunctionWrapper`` as a base)
    stores ``fn`` by name and looks it up in ``_FUNCTIONS`` when loaded;
    its subclasses fix the function and store only the keyword arguments.
    The class sets ``fn`` and ``_fn_kwargs``.

    Example:

    >>> class Base:
    ...     def get_config(self):
    ...         return {}
    >>> class Wrapper(FunctionWrapper, Base):
    ...     _FUNCTIONS = {"abs": abs}
    ...     def __init__(self, fn, **kwargs):
    ...         self.fn, self._fn_kwargs = fn, kwargs
    >>> Wrapper(abs).get_config()
    {'fn': 'abs'}
    >>> Wrapper.from_config({"fn": "abs"}).fn is abs
    True
    """

    fn: Any
    _fn_kwargs: dict[str, Any]
    _FUNCTIONS: Mapping[str, Any] = {}

    def get_config(self) -> dict[str, Any]:
        """Returns the base config, ``fn`` by name (generic wrapper only)
        and ``fn``'s keyword arguments."""
        config: dict[str, Any] = super().get_config()  # type: ignore[misc]
        if FunctionWrapper in type(self).__bases__:
            config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        return config | dict(self._fn_kwargs)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Any:
        """Creates the wrapper; ``fn`` is looked up by name."""
        config = dict(config)
        fn = config.pop("fn", None)
        if FunctionWrapper not in cls.__bases__:
            return cls(**config)
        if isinstance(fn, str):
            fn = cls._FUNCTIONS[fn]
        return cls(fn, **config)  # type: ignore[call-arg]


class Configurable:
    """The configuration protocol of Keras's small objects (initializers,
    regularizers, constraints): ``get_config`` returns the constructor
    arguments, ``from_config`` calls the constructor with them, and the
    ``repr`` shows them.

    Example:

    >>> class Scale(Configurable):
    ...     def __init__(self, factor=2.0):
    ...         self.factor = factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> Scale.from_config({"factor": 3.0})
    Scale(factor=3.0)
    """

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Any:
        """Creates an object from ``get_config``'s result."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class ObjectFamily:
    """One Keras object family: its built-in names, ``get``, ``serialize``
    and ``deserialize``.

    ``get`` resolves ``None`` (to ``default``), a config dict (through
    ``deserialize``), a name (the family's table, then the custom-object
    registry), a class of the family (a new instance), an instance of the
    family (itself) and any other callable (``from_callable``, itself by
    default). ``deserialize`` reads ``{"class_name", "config"}`` dicts,
    finding the class in the family's table, then ``custom_objects`` and
    the registry. A family that differs overrides the small hook methods
    (``make``, ``from_callable``, ``from_config``, ``serialize_function``,
    ``config_of``, ``names``, ``unknown``).

    Args:
        name: the family's name in messages, e.g. ``"initializer"``.
        base: the family's base class (``None`` for plain functions).
        table: what ``get`` finds by name: names and aliases to classes or
            functions.
        config_table: what ``deserialize`` finds by ``class_name``
            (default: the classes in ``table``).
        default: what ``get(None)`` returns.
        label: the family in ``get``'s error (default: ``name``).
        plural: the family's plural in ``serialize``'s error (default:
            ``name + "s"``).
        accepts: what ``get`` accepts besides names, in its error.
        case_insensitive: whether names are matched lower-cased (the
            table's keys must then be lower case).

    Example:

    >>> class Scale:
    ...     def __init__(self, factor=2.0):
    ...         self.factor = factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> family = ObjectFamily("scale", Scale, {"Scale": Scale, "double": Scale})
    >>> family.serialize(Scale(3.0))
    {'class_name': 'Scale', 'config': {'factor': 3.0}}
    >>> family.deserialize({"class_name": "Scale", "config": {"factor": 3.0}}).factor
    3.0
    >>> family.get("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ... Expected one of: Scale, double, ... Received: scale='nope'
    """

    def __init__(
        self,
        name: str,
        base: type | None,
        table: Mapping[str, Any],
        *,
        config_table: Mapping[str, Any] | None = None,
        default: Any = None,
        label: str | None = None,
        plural: str | None = None,
        accepts: str | None = None,
        case_insensitive: bool = False,
    ) -> None:
        self.name = name
        self.base = base
        self.table = dict(table)
        if config_table is None:
            config_table = {k: v for k, v in self.table.items() if inspect.isclass(v)}
        self.config_table = dict(config_table)
        self.functions = {
            key: value
            for key, value in self.table.items()
            if callable(value) and not inspect.isclass(value)
        }
        self.default = default
        self.label = label or name
        self.plural = plural or f"{name}s"
        if accepts is None:
            accepts = "or a callable"
            if base is not None:
                accepts = f"a {base.__name__}, {accepts}"
        self.accepts = accepts
        self.case_insensitive = case_insensitive

    # -- the common behaviour --

    def get(self, identifier: Any) -> Any:
        """Resolves an identifier to an object of the family.

        Args:
            identifier: ``None``, a name, a ``{"class_name", "config"}``
                dict, a class, an instance, or a callable.

        Returns:
            The object (``default`` for ``None``).

        Raises:
            ValueError: for an unknown name or a non-callable identifier,
                listing the valid names.
        """
        if identifier is None:
            return self.default
        if self.base is not None and isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, Mapping):
            return self.deserialize(identifier)
        if isinstance(identifier, str):
            found = self.find(identifier, identifier, None)
            if found is not None:
                return self.make(found, identifier)
        elif inspect.isclass(identifier) and self._is_family_class(identifier):
            return self.make(identifier, None)
        elif callable(identifier):
            return self.from_callable(identifier)
        raise self.unknown(identifier)

    def find(
        self,
        name: Any,
        registered: str | None = None,
        custom_objects: Mapping[str, Any] | None = None,
        table: Mapping[str, Any] | None = None,
    ) -> Any:
        """Finds a name in the family's table, then among the custom objects.

        Args:
            name: a name (anything else finds nothing).
            registered: a registered name (``"package>name"``), if known.
            custom_objects: extra objects by name.
            table: the table to search (default: ``get``'s).

        Returns:
            The class or function, or ``None``.
        """
        if not isinstance(name, str):
            return None
        table = self.table if table is None else table
        key = name.lower() if self.case_insensitive else name
        if key in table:
            return table[key]
        return lookup(name, registered, custom_objects)

    def serialize(self, obj: Any) -> Any:
        """Returns what an object is stored as.

        Args:
            obj: a built-in function of the family, an object with
                ``get_config``, or ``None``.

        Returns:
            ``serialize_function``'s result for a built-in function,
            ``config_of``'s for an object, and for ``None`` the stored
            ``default`` (``None`` when there is none).

        Raises:
            ValueError: for anything else.
        """
        if obj is None:
            return None if self.default is None else self.serialize(self.default)
        name = getattr(obj, "__name__", None)
        if isinstance(name, str) and self.functions.get(name) is obj:
            return self.serialize_function(name)
        if hasattr(obj, "get_config") and not inspect.isclass(obj):
            return self.config_of(obj)
        raise ValueError(
            f"Only kgraph's built-in {self.plural} (or objects with get_config) "
            f"can be serialized. Expected one of: {', '.join(self.names())}. "
            f"Received: {self.name}={obj!r}"
        )

    def deserialize(
        self, config: Any, custom_objects: Mapping[str, Any] | None = None
    ) -> Any:
        """Creates an object from ``serialize``'s result (or Keras's).

        Args:
            config: ``{"class_name", "config"}`` (``"class_name":
                "function"`` names a function), or a name.
            custom_objects: extra classes or functions by name.

        Returns:
            The object.

        Raises:
            ValueError: for an unknown class or function name.
        """
        if isinstance(config, str):
            found = self.find(config, config, custom_objects)
            if found is None:
                raise self.unknown(config)
            return self.make(found, config)
        if not isinstance(config, Mapping):
            raise self.unknown(config)
        class_name = config.get("class_name")
        inner = config.get("config")
        registered = config.get("registered_name")
        if class_name == "function":
            found = self.find(inner, registered, custom_objects, self.functions)
            if found is not None:
                return self.make(found, inner)
        else:
            found = self.find(class_name, registered, custom_objects, self.config_table)
            if found is not None:
                return self.from_config(found, dict(inner or {}), custom_objects)
        raise self.cannot_deserialize(config)

    def public_functions(
        self, module: str, examples: Mapping[str, str] | None = None
    ) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
        """Makes a family module's public ``get``, ``serialize`` and
        ``deserialize``: plain functions of ``module`` with Keras-style
        docstrings naming the family.

        Args:
            module: the module the functions belong to (``__name__``).
            examples: doctest text by function name, for each docstring's
                Example section.

        Returns:
            The functions ``(get, serialize, deserialize)``.

        Example:

        >>> family = ObjectFamily("scale", None, {"abs": abs})
        >>> get, serialize, deserialize = family.public_functions(__name__)
        >>> get("abs") is abs, get.__name__
        (True, 'get')
        """

        def get(identifier: Any) -> Any:
            return self.get(identifier)

        def serialize(obj: Any) -> Any:
            return self.serialize(obj)

        def deserialize(
            config: Any, custom_objects: Mapping[str, Any] | None = None
        ) -> Any:
            return self.deserialize(config, custom_objects)

        examples = examples or {}
        functions = (get, serialize, deserialize)
        for fn in functions:
            fn.__module__ = module
            fn.__qualname__ = fn.__name__
            article = "an" if self.label[0] in "aeiou" else "a"
            doc = _PUBLIC_DOCS[fn.__name__].format(
                name=self.name, label=f"{article} {self.label}", plural=self.plural
            )
            example = examples.get(fn.__name__)
            if example:
                doc += "\n\nExample:\n\n" + example.strip() + "\n"
            fn.__doc__ = doc
        return functions

    # -- hooks --

    def make(self, found: Any, name: str | None) -> Any:
        """Turns a class or function found by ``name`` into the object
        ``get`` returns: a class is instantiated, a function goes through
        ``from_callable``."""
        if inspect.isclass(found):
            return found()
        return self.from_callable(found)

    def from_callable(self, fn: Any) -> Any:
        """What ``get`` makes of a callable that is not of the family."""
        return fn

    def from_config(self, cls: Any, config: dict[str, Any], custom_objects: Any) -> Any:
        """Creates an instance of ``cls`` from its config."""
        if hasattr(cls, "from_config"):
            return cls.from_config(config)
        return cls(**config)

    def serialize_function(self, name: str) -> Any:
        """What a built-in function is stored as."""
        return {"class_name": "function", "config": name}

    def config_of(self, obj: Any) -> dict[str, Any]:
        """What an object with ``get_config`` is stored as."""
        return {"class_name": type(obj).__name__, "config": obj.get_config()}

    def names(self) -> list[str]:
        """The names ``get`` accepts, sorted, for error messages."""
        return sorted(self.table)

    def unknown(self, identifier: Any) -> ValueError:
        """The error for an identifier ``get`` cannot interpret."""
        return ValueError(
            f"Could not interpret {self.label} identifier. Expected one of: "
            f"{', '.join(self.names())}, {self.accepts}. "
            f"Received: {self.name}={identifier!r}"
        )

    def cannot_deserialize(self, config: Mapping[str, Any]) -> ValueError:
        """The error for a config ``deserialize`` cannot read."""
        also = " or a function" if self.functions else ""
        return ValueError(
            f"Could not deserialize {self.name}. Expected a class_name in "
            f"{', '.join(sorted(self.config_table))}{also}. "
            f"Received: {self.name}={dict(config)!r}"
        )

    def _is_family_class(self, cls: type) -> bool:
        return self.base is not None and issubclass(cls, self.base)


# The docstrings of each family's public functions (``public_functions``).
_PUBLIC_DOCS = {
    "get": """Retrieves {label} from an identifier.

Args:
    identifier: ``None``, a name (built-in, an alias, or a registered
        custom name), a ``{{"class_name", "config"}}`` dict, a class or an
        instance of the {name} family, or a callable.

Returns:
    The {name} (the family's default for ``None``).

Raises:
    ValueError: for an unknown name or an identifier that is not
        callable, listing the valid names.""",
    "serialize": """Returns what {label} is stored as in a saved model.

Args:
    obj: a built-in {name} function, an object with ``get_config``, or
        ``None``.

Returns:
    The config ``deserialize`` reads: ``{{"class_name", "config"}}`` for
    an object, the stored form of a built-in function's name.

Raises:
    ValueError: for anything else, listing the built-in {plural}.""",
    "deserialize": """Creates {label} from ``serialize``'s result (or Keras's).

Args:
    config: ``{{"class_name", "config"}}``, or a name.
    custom_objects: custom classes or functions by name (registered ones
        are found without).

Returns:
    A new {name}.

Raises:
    ValueError: for an unknown class or function name.""",
}


__all__ = [
    "Configurable",
    "CustomObjectScope",
    "FunctionWrapper",
    "ObjectFamily",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "lookup",
    "name_table",
    "register_keras_serializable",
    "registered_name",
    "snake_case",
]
