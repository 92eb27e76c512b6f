"""The step's schedule: loop groups, and products that join the group
reading them (product groups)."""

import numpy as np

import kgraph as kg
from kgraph import ops
from kgraph.compiler import memory_plan
from kgraph.compiler import schedule
from kgraph.ir.graph import Graph


def _graph(build):
    graph = Graph()
    x = ops.placeholder(graph, "x", (6, 5))
    w = ops.placeholder(graph, "w", (5, 4), role="parameter")
    outputs = build(x, w)
    for name, value in outputs.items():
        graph.set_output(name, value.node_id)
    return graph


def _unit_of(units, node_id):
    return next(unit for unit in units if node_id in unit)


def test_product_read_by_one_group_heads_it():
    def build(x, w):
        product = ops.matmul(x, w)
        return {"a": ops.exp(product), "b": product * 2.0}

    graph = _graph(build)
    units = schedule.schedule(graph)
    product = graph.node(graph.outputs["a"]).inputs[0]
    unit = _unit_of(units, product)
    assert unit[0] == product
    assert {graph.outputs["a"], graph.outputs["b"]} <= set(unit)
    assert sum(product in u for u in units) == 1


def test_product_with_another_reader_stays_alone():
    def build(x, w):
        product = ops.matmul(x, w)
        return {"a": ops.exp(product), "s": ops.sum(product)}

    graph = _graph(build)
    units = schedule.schedule(graph)
    product = graph.node(graph.outputs["a"]).inputs[0]
    assert (product,) in units


def test_product_that_is_an_output_stays_alone():
    def build(x, w):
        product = ops.matmul(x, w)
        return {"p": product, "a": ops.exp(product)}

    graph = _graph(build)
    assert (graph.outputs["p"],) in schedule.schedule(graph)


def test_product_reading_the_state_its_group_updates_blocks_in_place():
    """A product reads whole rows and columns: the group it heads may not
    overwrite one of its operands in place."""
    graph = Graph()
    w = ops.placeholder(graph, "w", (4, 4), role="parameter")
    x = ops.placeholder(graph, "x", (4, 4))
    new = w - 0.1 * ops.matmul(x, w)
    graph.set_output("new:w", new.node_id, "update", "w")
    plan = memory_plan.make_plan(graph)
    unit = _unit_of(plan.units, graph.outputs["new:w"])
    assert schedule.product(graph, unit[0])
    assert plan.in_place == {}


def test_adam_update_runs_in_the_weight_gradient_epilogue():
    """Dense layers trained with Adam: each kernel's gradient product heads
    the unit of its update, and the update is still in place; training
    matches the reference backend."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 12)).astype("float32")
    y = rng.standard_normal((64, 3)).astype("float32")
    layers = [
        lambda: kg.layers.Dense(40, activation="relu", input_shape=(12,)),
        lambda: kg.layers.Dense(3),
    ]
    model, results = _train_on_both_backends(layers, x, y, batch_size=16, epochs=3)
    program = model.compiled_program("train", 16)
    graph, plan = program.graph, program.plan
    kernel = graph.outputs["new:dense/kernel"]
    unit = _unit_of(plan.units, kernel)
    assert schedule.product(graph, unit[0])
    assert plan.in_place[kernel] == "dense/kernel"
    _assert_alike(results)


def _train_on_both_backends(layers, x, y, batch_size, epochs):
    """Trains the same model (seeded) with Adam and MSE on the reference and
    the LLVM backend; returns the LLVM model and each backend's final
    weights and losses."""
    results = {}
    for backend in ("numpy", "llvm"):
        kg.utils.clear_session()
        kg.utils.set_random_seed(1)
        model = kg.Sequential([make() for make in layers])
        model.compile(optimizer="adam", loss="mse", backend=backend)
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        results[backend] = (model.get_weights(), history.history["loss"])
    return model, results


def _assert_alike(results):
    (ours, our_losses), (reference, losses) = results["llvm"], results["numpy"]
    np.testing.assert_allclose(our_losses, losses, rtol=1e-5)
    for mine, theirs in zip(ours, reference, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)


def _kernel_units(program):
    graph = program.graph
    return [
        unit
        for unit in program.plan.units
        if any(not schedule.transparent(graph, i) for i in unit)
    ]


def test_softmax_and_crossentropy_run_as_row_groups():
    """The softmax, the crossentropy after it and their gradients (max, sum
    and the elementwise nodes between) run as row groups: a few kernels
    instead of one per node."""
    kg.utils.clear_session()
    model = kg.Sequential([kg.layers.Dense(10, activation="softmax", input_shape=(8,))])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    program = model.compiled_program("train", 32)
    graph = program.graph
    rows = [u for u in program.plan.units if schedule.unit_kind(graph, u) == "rows"]
    assert rows, "expected row groups"
    ops_in_rows = {graph.node(i).op for unit in rows for i in unit}
    assert {"max", "sum"} <= ops_in_rows
    kernels = [i for i in graph.nodes() if not schedule.transparent(graph, i.id)]
    # Before the schedule, every computed node was a kernel of its own.
    assert len(_kernel_units(program)) <= len(kernels) // 2


def test_row_groups_over_two_outer_axes_match_the_reference():
    """A softmax over the last axis of a (batch, time, features) tensor (and
    its gradient) runs row by row over batch x time; training agrees with
    the reference."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((24, 5, 6)).astype("float32")
    y = rng.standard_normal((24, 3)).astype("float32")
    layers = [
        lambda: kg.layers.Dense(4, activation="softmax", input_shape=(5, 6)),
        lambda: kg.layers.Flatten(),
        lambda: kg.layers.Dense(3),
    ]
    model, results = _train_on_both_backends(layers, x, y, batch_size=8, epochs=2)
    program = model.compiled_program("train", 8)
    graph = program.graph
    outers = {
        tuple(graph.node(graph.node(i).inputs[0]).type.shape[:-1])
        for unit in program.plan.units
        if schedule.unit_kind(graph, unit) == "rows"
        for i in unit
        if graph.node(i).op == "max"
    }
    assert (8, 5) in outers
    _assert_alike(results)


def test_big_kernels_keep_their_own_loops():
    """A softmax over 64 x 512 values keeps its kernels (threads share them)."""
    kg.utils.clear_session()
    model = kg.Sequential(
        [kg.layers.Dense(512, activation="softmax", input_shape=(8,))]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    program = model.compiled_program("train", 64)
    graph = program.graph
    for unit in program.plan.units:
        if schedule.unit_kind(graph, unit) == "rows":
            sizes = [graph.node(i).type.size for i in unit]
            assert max(sizes) < schedule.ROW_GROUP_ELEMENTS
