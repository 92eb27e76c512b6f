"""``Graph``: kgraph's IR, a DAG of single-output nodes over networkx.

The ordered operand list lives on each node (``Node.inputs``) and is the
source of truth; a ``networkx.MultiDiGraph`` mirrors it (edge key = operand
index) for traversal and drawing. A plain ``DiGraph`` keeps one edge per node
pair, so ``mul(x, x)`` would lose an operand. This is the only module that
imports networkx.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

import networkx as nx
import numpy as np

from kgraph import errors
from kgraph.ir.types import TensorType

FORMAT_NAME = "kgraph.graph"
# Version 2 added the outputs' roles and keys.
FORMAT_VERSION = 2

# Roles of placeholder nodes: what a backend feeds into each graph input.
ROLES = ("data", "target", "sample_weight", "parameter", "slot", "scalar")

# Roles of graph outputs, each with a key (what the output belongs to):
# prediction (the model output of that name), loss (the training loss),
# stat (a summable statistic, ``<log name>/<statistic>``), grad (the gradient
# of the parameter input named by the key), update (the new value of the
# variable input named by the key, written in place after the step),
# penalty (a loss from ``add_loss`` or an activity regularizer, added to the
# training loss), state_update (a layer's new value of a variable, applied
# by training steps only), metric_update (a metric's, applied by training
# and evaluation steps) and carry_update (a stateful layer's new state,
# applied after every batch of every program).
OUTPUT_ROLES = (
    "prediction",
    "loss",
    "stat",
    "grad",
    "update",
    "penalty",
    "state_update",
    "metric_update",
    "carry_update",
)


@dataclass(frozen=True, eq=False)
class Node:
    """One operation and its single output.

    Args:
        id: the node's id, unique in its graph.
        op: the registered op name.
        inputs: the operand node ids, in order.
        attrs: the op's attributes (ints, floats, strings, bools, tuples,
            ``None``, and NumPy arrays for constants).
        type: the output's ``TensorType``.
        layer: the name of the layer that emitted the node, if any.
    """

    id: int
    op: str
    inputs: tuple[int, ...]
    attrs: Mapping[str, Any]
    type: TensorType
    layer: str | None = None

    @property
    def name(self) -> str | None:
        """The ``name`` attribute (placeholders and outputs of layers)."""
        return self.attrs.get("name")

    @property
    def input_name(self) -> str:
        """The name of a placeholder: the graph input the caller feeds.

        Raises:
            GraphError: for a node that is not a graph input.
        """
        name = self.attrs.get("name")
        if self.op != "placeholder" or not isinstance(name, str):
            raise errors.GraphError(
                f"%{self.id} ({self.op}) is not a graph input. Received: {self.op}"
            )
        return name

    @property
    def role(self) -> str | None:
        """The placeholder role, or ``None`` for other ops."""
        return self.attrs.get("role")


@dataclass(eq=False)
class Graph:
    """A computation graph: nodes, and named outputs.

    Example:

    >>> from kgraph import ops
    >>> g = Graph()
    >>> x = ops.placeholder(g, "x", (2, 3))
    >>> y = ops.exp(x)
    >>> g.set_output("y", y.node_id)
    >>> print(g.format())
    %0 = placeholder() {dtype="float32", name="x", role="data", shape=(2, 3)} : f32[2,3]
    %1 = exp(%0) : f32[2,3]
    return y=%1
    """

    name: str = "graph"
    outputs: dict[str, int] = field(default_factory=dict)
    # The role and key of every output, by output name (``OUTPUT_ROLES``).
    signature: dict[str, tuple[str, str]] = field(default_factory=dict)
    _nx: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph, repr=False)
    # The nodes by id, next to the mirror: ``node()`` is the hottest call of
    # the passes, and a dict is faster than networkx's views.
    _nodes: dict[int, Node] = field(default_factory=dict, repr=False)
    _next_id: int = 0
    _order: list[int] | None = field(default=None, repr=False)
    # Objects bound to placeholders, by placeholder name: the variables a
    # model's graph reads (kgraph.ops.builder.variable_node). Copies keep
    # them; equality, hashing and the JSON form ignore them.
    bindings: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- building -----------------------------------------------------------

    def add(
        self,
        op: str,
        inputs: Iterable[int],
        attrs: Mapping[str, Any],
        type: TensorType,
        layer: str | None = None,
        node_id: int | None = None,
    ) -> int:
        """Adds a node without checking it against its op's rules.

        Ops are normally added through ``kgraph.ops``, which infers the type.

        Returns:
            The new node's id.
        """
        inputs = tuple(int(i) for i in inputs)
        for operand in inputs:
            if operand not in self._nodes:
                raise errors.GraphError(
                    f"{op}: operand %{operand} is not a node of graph "
                    f"'{self.name}'. Received: inputs={inputs}"
                )
        new_id = self._next_id if node_id is None else node_id
        if new_id in self._nodes:
            raise errors.GraphError(f"Node id %{new_id} is already taken.")
        newest = new_id >= self._next_id
        self._next_id = max(self._next_id, new_id + 1)
        node = Node(new_id, op, inputs, dict(attrs), type, layer)
        # The lexicographic topological order stays one when the new node
        # has the largest id: it is ready last and nothing waits on it.
        if self._order is not None and newest:
            self._order.append(new_id)
        else:
            self._order = None
        self._nodes[new_id] = node
        self._nx.add_node(new_id, node=node)
        for index, operand in enumerate(inputs):
            self._nx.add_edge(operand, new_id, key=index)
        return new_id

    def set_output(
        self, name: str, node_id: int, role: str = "prediction", key: str | None = None
    ) -> None:
        """Names a node as a graph output with a role (``OUTPUT_ROLES``) and
        a key (what it belongs to; the name by default).

        Raises:
            GraphError: for an unknown role or node.
        """
        self.node(node_id)
        if role not in OUTPUT_ROLES:
            raise errors.GraphError(
                f"Unknown output role. Expected one of {OUTPUT_ROLES}. "
                f"Received: role={role!r}"
            )
        self.outputs[name] = node_id
        self.signature[name] = (role, name if key is None else key)

    def role_of(self, name: str) -> tuple[str, str]:
        """The ``(role, key)`` of the output ``name``."""
        return self.signature.get(name, ("prediction", name))

    def outputs_with(self, role: str) -> dict[str, int]:
        """The outputs of one role, ``key -> node id``, in output order."""
        found = {}
        for name, node_id in self.outputs.items():
            kind, key = self.role_of(name)
            if kind == role:
                found[key] = node_id
        return found

    def names_with(self, role: str) -> list[str]:
        """The names of the outputs of one role, in output order."""
        return [name for name in self.outputs if self.role_of(name)[0] == role]

    def remove_output(self, name: str) -> int:
        """Stops naming a node as an output; returns the node's id."""
        self.signature.pop(name, None)
        return self.outputs.pop(name)

    def keep_outputs(self, names: Iterable[str]) -> None:
        """Keeps only these outputs, in this order."""
        names = list(names)
        self.outputs = {name: self.outputs[name] for name in names}
        self.signature = {name: self.role_of(name) for name in names}

    def replace_node(self, node_id: int, **changes: Any) -> None:
        """Replaces fields of a node in place (op, inputs, attrs, type, layer)."""
        old = self.node(node_id)
        new = replace(old, **changes)
        if new.inputs != old.inputs:
            for operand in new.inputs:
                self.node(operand)
            self._order = None
            for index, operand in enumerate(old.inputs):
                self._nx.remove_edge(operand, node_id, key=index)
            for index, operand in enumerate(new.inputs):
                self._nx.add_edge(operand, node_id, key=index)
        self._nx.nodes[node_id]["node"] = new
        self._nodes[node_id] = new

    def replace_uses(self, old: int, new: int) -> None:
        """Makes every user of ``old`` (and every output naming it) use ``new``."""
        for user in self.users(old):
            node = self.node(user)
            inputs = tuple(new if i == old else i for i in node.inputs)
            self.replace_node(user, inputs=inputs)
        for name, node_id in self.outputs.items():
            if node_id == old:
                self.outputs[name] = new

    def remove(self, node_ids: Iterable[int]) -> None:
        """Removes nodes that nothing else uses."""
        doomed = set(node_ids)
        for node_id in doomed:
            outside = [u for u in self.users(node_id) if u not in doomed]
            if outside or node_id in self.outputs.values():
                raise errors.GraphError(
                    f"Cannot remove %{node_id}: it is still used. "
                    f"Received: users={outside}"
                )
        # Removing nodes nothing else uses keeps the others' order.
        if self._order is not None:
            self._order = [i for i in self._order if i not in doomed]
        self._nx.remove_nodes_from(doomed)
        for node_id in doomed:
            del self._nodes[node_id]

    # -- reading ------------------------------------------------------------

    def node(self, node_id: int) -> Node:
        """Returns the node with this id."""
        try:
            return self._nodes[node_id]
        except KeyError:
            raise errors.GraphError(
                f"Graph '{self.name}' has no node %{node_id}."
            ) from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def users(self, node_id: int) -> list[int]:
        """Returns the ids of the nodes that use ``node_id``, sorted."""
        return sorted(set(self._nx.successors(node_id)))

    def topo_order(self) -> list[int]:
        """Returns node ids in a deterministic topological order."""
        # Kept until the graph's structure changes (passes ask often).
        if self._order is None:
            self._order = self._lexicographic_order()
        return list(self._order)

    def _lexicographic_order(self) -> list[int]:
        """Kahn's algorithm, always taking the smallest ready id (what
        ``networkx.lexicographical_topological_sort`` gives, faster).

        Raises:
            GraphError: when the graph has a cycle.
        """
        waiting: dict[int, int] = {}
        users: dict[int, list[int]] = {}
        for node_id, node in self._nodes.items():
            waiting[node_id] = len(node.inputs)
            for operand in node.inputs:
                users.setdefault(operand, []).append(node_id)
        ready = [i for i, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[int] = []
        while ready:
            current = heapq.heappop(ready)
            order.append(current)
            for user in users.get(current, ()):
                waiting[user] -= 1
                if waiting[user] == 0:
                    heapq.heappush(ready, user)
        if len(order) != len(waiting):
            raise errors.GraphError(f"Graph '{self.name}' has a cycle.")
        return order

    def nodes(self) -> list[Node]:
        """Returns the nodes in topological order."""
        nodes = self._nodes
        return [nodes[i] for i in self.topo_order()]

    def placeholders(self, role: str | None = None) -> list[Node]:
        """Returns the placeholder nodes, optionally of one role, by id."""
        found = [
            node
            for node in self._nodes.values()
            if node.op == "placeholder" and (role is None or node.role == role)
        ]
        return sorted(found, key=lambda node: node.id)

    def placeholder(self, name: str) -> Node:
        """Returns the placeholder named ``name``."""
        for node in self.placeholders():
            if node.name == name:
                return node
        raise errors.GraphError(
            f"Graph '{self.name}' has no input named '{name}'. Received: name={name!r}"
        )

    def ancestors(self, node_ids: Iterable[int]) -> set[int]:
        """Returns the given nodes and every node they depend on."""
        found: set[int] = set()
        stack = list(node_ids)
        nodes = self._nodes
        while stack:
            node_id = stack.pop()
            if node_id in found:
                continue
            found.add(node_id)
            stack.extend(nodes[node_id].inputs)
        return found

    def format(self) -> str:
        """Returns the canonical text form (see ``kgraph.ir.printer``)."""
        from kgraph.ir import printer

        return printer.format_graph(self)

    # -- whole-graph operations ---------------------------------------------

    def subgraph(self, outputs: Mapping[str, int], name: str | None = None) -> Graph:
        """Extracts the nodes the given outputs depend on, keeping node ids.

        Args:
            outputs: output names to node ids of this graph.
            name: the new graph's name.

        Returns:
            A new graph holding only those nodes, with these outputs.
        """
        keep = self.ancestors(outputs.values())
        result = Graph(name=name or self.name)
        for node_id in self.topo_order():
            if node_id in keep:
                node = self.node(node_id)
                result.add(
                    node.op, node.inputs, node.attrs, node.type, node.layer, node_id
                )
        for out_name, node_id in outputs.items():
            result.set_output(out_name, node_id, *self.role_of(out_name))
        kept = {node.name for node in result.placeholders()}
        result.bindings = {
            name: value for name, value in self.bindings.items() if name in kept
        }
        return result

    def copy(self) -> Graph:
        """Returns a copy sharing no mutable state with this graph.

        Structural: the nodes (immutable) are shared, the networkx mirror,
        the outputs, the order and the bindings are copied; nothing is
        validated again.
        """
        result = Graph(name=self.name)
        result._nx = self._nx.copy()
        result._nodes = dict(self._nodes)
        result.outputs = dict(self.outputs)
        result.signature = dict(self.signature)
        result._next_id = self._next_id
        result._order = None if self._order is None else list(self._order)
        result.bindings = dict(self.bindings)
        return result

    def renumbered(self) -> Graph:
        """Returns a copy whose ids are 0, 1, ... in topological order."""
        mapping: dict[int, int] = {}
        result = Graph(name=self.name)
        for node in self.nodes():
            inputs = [mapping[i] for i in node.inputs]
            mapping[node.id] = result.add(
                node.op, inputs, node.attrs, node.type, node.layer
            )
        result.outputs = {k: mapping[v] for k, v in self.outputs.items()}
        result.signature = dict(self.signature)
        result.bindings = dict(self.bindings)
        return result

    def format_node(self, node_id: int) -> str:
        """Returns one node's line of the text form."""
        from kgraph.ir import printer

        return printer.format_node(self.node(node_id))

    # -- serialization ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Returns a JSON-compatible description of the graph."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "name": self.name,
            "nodes": [
                {
                    "id": n.id,
                    "op": n.op,
                    "inputs": list(n.inputs),
                    "attrs": {k: _encode(v) for k, v in sorted(n.attrs.items())},
                    "type": str(n.type),
                    "layer": n.layer,
                }
                for n in self.nodes()
            ],
            "outputs": [
                [name, node_id, *self.role_of(name)]
                for name, node_id in self.outputs.items()
            ],
        }

    def to_json(self, indent: int | None = None) -> str:
        """Returns the graph as JSON text (see ``from_json``)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Graph:
        """Rebuilds a graph from ``to_dict``'s output."""
        if data.get("format") != FORMAT_NAME:
            raise errors.GraphError(
                f"Not a kgraph graph. Expected format '{FORMAT_NAME}'. "
                f"Received: format={data.get('format')!r}"
            )
        if data.get("version", 0) > FORMAT_VERSION:
            raise errors.GraphError(
                f"Graph format version {data['version']} is newer than this "
                f"kgraph reads ({FORMAT_VERSION}). Received: "
                f"version={data['version']}"
            )
        graph = cls(name=data.get("name", "graph"))
        for item in data["nodes"]:
            attrs = {k: _decode(v) for k, v in item["attrs"].items()}
            graph.add(
                item["op"],
                item["inputs"],
                attrs,
                TensorType.parse(item["type"]),
                item.get("layer"),
                int(item["id"]),
            )
        for out_name, node_id, *role in data["outputs"]:
            graph.set_output(out_name, int(node_id), *role)
        return graph

    @classmethod
    def from_json(cls, text: str) -> Graph:
        """Rebuilds a graph from ``to_json``'s output."""
        return cls.from_dict(json.loads(text))

    def content_hash(self) -> str:
        """Returns a sha256 of the graph's structure, independent of node ids."""
        data = self.renumbered().to_dict()
        data.pop("name")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def attr_key(value: Any) -> Hashable:
    """An attribute value (or a node's whole attribute mapping) as a
    hashable key: equal keys mean equal attributes. Types are told apart
    (``1``, ``1.0`` and ``True`` differ), arrays compare by dtype, shape and
    bytes, NaN equals NaN, and a loop body by its JSON form.
    """
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, tuple | list):
        return ("seq", *(attr_key(v) for v in value))
    if isinstance(value, Mapping):
        return ("map", *((k, attr_key(v)) for k, v in sorted(value.items())))
    if isinstance(value, Graph):
        return ("graph", json.dumps(_encode(value), sort_keys=True))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def _encode(value: Any) -> Any:
    """Encodes an attribute value as JSON-compatible data."""
    if isinstance(value, Graph):
        return {"__graph__": value.to_dict()}
    if isinstance(value, np.ndarray):
        return {
            "__array__": {
                "dtype": value.dtype.name,
                "shape": list(value.shape),
                "data": value.reshape(-1).tolist(),
            }
        }
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any) -> Any:
    """Inverts ``_encode``: lists become tuples, array records arrays, graph
    records graphs (a loop's body)."""
    if isinstance(value, dict) and "__graph__" in value:
        return Graph.from_dict(value["__graph__"])
    if isinstance(value, dict) and "__array__" in value:
        spec = value["__array__"]
        flat = np.array(spec["data"], dtype=spec["dtype"])
        return flat.reshape(spec["shape"])
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value
