"""Keras 3's variable-handling members of ``Optimizer``, eagerly.

These are the methods Keras code calls on an optimizer outside a compiled
step: creating variables (``add_variable``...), assigning them, reading and
writing their values in Keras's order (``set_weights``,
``save_own_variables``/``load_own_variables``), the stateless update
(``stateless_apply``), loss scaling and the EMA's final overwrite. They act
at once on the variables' arrays; the compiled training step never calls
them.

Keras's order of an optimizer's values is ``iterations``, the learning rate
when it is a number (Keras keeps it in a variable), then the other
variables; kgraph's ``optimizer.variables`` leaves the learning rate out (it
is a Python float), so the methods that take Keras's order insert it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from collections.abc import MutableMapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import ops
from kgraph.tensor import Variable


class OptimizerMembers:
    """Keras's ``add_variable``, ``assign``, ``set_weights``,
    ``save_own_variables``, ``stateless_apply`` and friends, mixed into
    ``Optimizer`` (which defines the attributes they read)."""

    # -- creating variables ----------------------------------------------------

    def add_variable(
        self,
        shape: Sequence[int],
        initializer: Any = "zeros",
        dtype: str | None = None,
        aggregation: str = "none",
        layout: Any = None,
        name: str | None = None,
    ) -> Variable:
        """Adds a non-trainable variable to the optimizer's ``variables``.

        Args:
            shape: its shape.
            initializer: an initializer or its name (default ``"zeros"``).
            dtype: its dtype (default ``"float32"``).
            aggregation: accepted for Keras compatibility (one replica).
            layout: accepted for Keras compatibility (no sharding).
            name: its name; the path is ``"<optimizer>/<name>"``.

        Returns:
            The new ``Variable``.

        Example:

        >>> from kgraph.optimizers import SGD
        >>> opt = SGD()
        >>> opt.add_variable((2,), name="total").path
        'sgd/total'
        """
        from kgraph import initializers

        dtype = dtypes.canonical(dtype or "float32")
        shape = tuple(int(d) for d in shape)
        value = initializers.get(initializer)(shape, dtype=dtype)
        name = name or f"variable_{len(self._extra_variables)}"
        variable = Variable(
            value, name=name, path=f"{self.name}/{name}", trainable=False, dtype=dtype
        )
        self._extra_variables.append(variable)
        return variable

    def add_variable_from_reference(
        self,
        reference_variable: Variable,
        name: str | None = None,
        initializer: Any = "zeros",
    ) -> Variable:
        """Adds a variable shaped like ``reference_variable``, named
        ``"<reference path with _>_<name>"`` as Keras names it.

        Args:
            reference_variable: the model variable it goes with.
            name: the suffix (default ``"var"``).
            initializer: an initializer or its name (default ``"zeros"``).

        Returns:
            The new ``Variable``.
        """
        prefix = str(getattr(reference_variable, "path", reference_variable.name))
        return self.add_variable(
            reference_variable.shape,
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=f"{prefix.replace('/', '_')}_{name or 'var'}",
        )

    def add_optimizer_variables(
        self,
        trainable_variables: Sequence[Variable],
        name: Any,
        initializer: Any = "zeros",
    ) -> Any:
        """Adds one variable per model variable for each name, interleaved
        variable by variable (Keras's order).

        Args:
            trainable_variables: the model variables.
            name: a name, or a list of names.
            initializer: an initializer, or one per name.

        Returns:
            A list of variables for one name, a tuple of lists for several.

        Raises:
            ValueError: when the names and initializers differ in number.
        """
        names = [name] if isinstance(name, str) else list(name)
        inits = initializer
        if isinstance(name, str) or not isinstance(initializer, list | tuple):
            inits = [initializer] * len(names)
        if len(names) != len(inits):
            raise ValueError(
                "The number of provided names must match the number of provided "
                f"initializers. Received: name={name!r}, initializer={initializer!r}"
            )
        made: tuple[list[Variable], ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (one_name, init) in enumerate(zip(names, inits, strict=True)):
                made[i].append(
                    self.add_variable_from_reference(variable, one_name, init)
                )
        return made[0] if isinstance(name, str) else made

    # -- assigning --------------------------------------------------------------

    def assign(self, variable: Variable, value: Any) -> None:
        """Assigns ``value`` to a model or optimizer variable."""
        variable.assign(value)

    def assign_add(self, variable: Variable, value: Any) -> None:
        """Adds ``value`` to a model or optimizer variable."""
        variable.assign_add(value)

    def assign_sub(self, variable: Variable, value: Any) -> None:
        """Subtracts ``value`` from a model or optimizer variable."""
        variable.assign_sub(value)

    # -- weight decay, loss scaling, EMA ---------------------------------------------

    def exclude_from_weight_decay(
        self,
        var_list: Sequence[Variable] | None = None,
        var_names: Sequence[str] | None = None,
    ) -> None:
        """Excludes variables from weight decay, by object or by name.

        Args:
            var_list: variables to exclude.
            var_names: substrings (regular expressions); a variable whose
                name contains one is excluded (``["bias"]``).

        Raises:
            ValueError: when the optimizer is already built, as in Keras.
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before "
                f"the optimizer is built. Received: optimizer '{self.name}', "
                "already built"
            )
        self._decay_excluded_ids = {id(v) for v in var_list or ()}
        self._decay_excluded_names = tuple(var_names or ())
        for pattern in self._decay_excluded_names:
            re.compile(pattern)

    def scale_loss(self, loss: Any) -> Any:
        """Returns ``loss * loss_scale_factor`` (the loss when it is unset)."""
        if self.loss_scale_factor is None:
            return loss
        return ops.multiply(loss, self.loss_scale_factor)

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """With ``use_ema``, overwrites the variables with their moving
        averages (``fit`` calls it when it ends); otherwise does nothing.

        Args:
            var_list: the model's trainable variables.
        """
        if not self.use_ema:
            return
        for variable in var_list:
            if self.has_slots(variable):
                variable.assign(self.slots(variable)["average"].value)

    # -- values in Keras's order -------------------------------------------------------

    def _keras_order(self) -> list[Variable | None]:
        """``variables`` with ``None`` where Keras keeps its learning-rate
        variable (when the learning rate is a number)."""
        variables: list[Variable | None] = list(self.variables)
        if self.learning_rate_schedule is None:
            variables.insert(1, None)
        return variables

    def _keras_values(self) -> list[np.ndarray]:
        return [
            np.asarray(self.learning_rate, "float32") if v is None else v.numpy()
            for v in self._keras_order()
        ]

    def _assign_keras_values(self, values: Sequence[Any]) -> None:
        for variable, value in zip(self._keras_order(), values, strict=True):
            if variable is None:
                if np.float32(self.learning_rate) != np.float32(value):
                    self.learning_rate = float(np.asarray(value))
            else:
                variable.assign(value)

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the optimizer's values, in Keras's order (``iterations``, the
        learning rate when it is a number, then the slots).

        Raises:
            ValueError: when the optimizer is not built, or for a shape that
                does not fit.
        """
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not "
                "yet been built. Call `optimizer.build(trainable_variables)` "
                f"first. Received: optimizer '{self.name}', not built"
            )
        order = self._keras_order()
        for variable, weight in zip(order, weights, strict=False):
            shape = () if variable is None else variable.shape
            if np.shape(weight) != shape:
                where = "learning_rate" if variable is None else variable.path
                raise ValueError(
                    f"Optimizer variable {where} has shape {shape}, not "
                    f"compatible with the weight given. Received: "
                    f"shape={np.shape(weight)}"
                )
        self._assign_keras_values(list(weights)[: len(order)])

    def save_own_variables(self, store: MutableMapping[str, Any]) -> None:
        """Writes the optimizer's values into ``store`` under ``"0"``,
        ``"1"``, ... in Keras's order."""
        for index, value in enumerate(self._keras_values()):
            store[str(index)] = value

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Reads the values ``save_own_variables`` wrote; warns and skips
        them (as Keras does) when their number does not match."""
        order = self._keras_order()
        if len(store.keys()) != len(order):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', "
                f"because it has {len(order)} variables whereas the saved "
                f"optimizer has {len(store.keys())} variables.",
                stacklevel=2,
            )
            return
        self._assign_keras_values(
            [np.asarray(store[str(i)]) for i in range(len(order))]
        )

    # -- the stateless update ----------------------------------------------------------

    def stateless_apply(
        self,
        optimizer_variables: Sequence[Any],
        grads: Sequence[Any],
        trainable_variables: Sequence[Any],
    ) -> tuple[list[Any], list[Any]]:
        """Computes one update from values, changing no variable.

        Args:
            optimizer_variables: values of ``optimizer.variables``, in order.
            grads: the gradients, one per variable the optimizer was built
                with.
            trainable_variables: those variables' values.

        Returns:
            ``(new_trainable_values, new_optimizer_values)``; constraints of
            the variables are applied, the step counter advanced.

        Raises:
            ValueError: when the optimizer is not built or a list has the
                wrong length.
        """
        own = self.variables
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {type(self).__name__} must be "
                "built: call `optimizer.build(trainable_variables)` first. "
                "Received: an optimizer that is not built"
            )
        if len(optimizer_variables) != len(own) or len(trainable_variables) != len(
            self._params
        ):
            raise ValueError(
                "`stateless_apply` takes one value per optimizer variable and "
                "one per trainable variable the optimizer was built with. "
                f"Received: {len(optimizer_variables)} optimizer values for "
                f"{len(own)} variables, {len(trainable_variables)} trainable "
                f"values for {len(self._params)} variables"
            )
        value_of = {
            id(v): np.asarray(x) for v, x in zip(own, optimizer_variables, strict=True)
        }
        slots = [
            {key: value_of[id(slot)] for key, slot in self.slots(p).items()}
            for p in self._params
        ]
        state = {key: value_of[id(v)] for key, v in self._state.items()}
        new_params, new_slots, new_state = self.apply_with_state(
            value_of[id(self._iterations)],
            None,
            [np.asarray(x) for x in trainable_variables],
            grads,
            slots,
            state,
            self._params,
        )
        params_out = []
        for param, value in zip(self._params, new_params, strict=True):
            constraint = getattr(param, "constraint", None)
            value = constraint(value) if constraint is not None else value
            params_out.append(np.asarray(value))
        value_of[id(self._iterations)] = value_of[id(self._iterations)] + 1
        for param, updated in zip(self._params, new_slots, strict=True):
            for key, value in updated.items():
                value_of[id(self.slots(param)[key])] = np.asarray(value)
        for key, value in new_state.items():
            value_of[id(self._state[key])] = np.asarray(value)
        return params_out, [value_of[id(v)] for v in own]
