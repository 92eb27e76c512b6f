"""Native loops on several threads give exactly the results of one thread."""

import numpy as np
import pytest

import kgraph as kg
from kgraph.backends.llvm import codegen
from kgraph.backends.llvm import parallel


def _train(threads, monkeypatch, optimizer="adam"):
    monkeypatch.setenv("KGRAPH_NUM_THREADS", str(threads))
    kg.utils.clear_session()
    kg.utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 300)).astype("float32")
    y = kg.utils.to_categorical(rng.integers(0, 10, 200), 10)
    model = kg.Sequential(
        [
            kg.layers.Dense(128, activation="relu", input_shape=(300,)),
            kg.layers.Dropout(0.2),
            kg.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(x, y, batch_size=64, epochs=2, verbose=0)
    return history.history, model.get_weights(), model.predict(x, verbose=0), model


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_two_threads_equal_one(monkeypatch, optimizer):
    one = _train(1, monkeypatch, optimizer)
    two = _train(2, monkeypatch, optimizer)
    assert one[0] == two[0]
    for a, b in zip(one[1], two[1], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one[2], two[2])
    # The big kernels really were shared between the threads.
    program = two[3].compiled_program("train", 64)
    graph = program.graph
    shared = [
        node
        for node in graph.nodes()
        if node.op not in ("placeholder", "constant")
        and codegen._shared(graph, node, kg.ops.registry.get(node.op))
    ]
    assert len(shared) >= 2


def test_parallel_run_hands_back_results_and_errors():
    assert parallel.run(lambda tid: tid * 10, 3) == [0, 10, 20]

    def fails(tid):
        if tid == 1:
            raise ValueError("worker failed")
        return tid

    with pytest.raises(ValueError, match="worker failed"):
        parallel.run(fails, 2)
    assert parallel.run(lambda tid: tid, 2) == [0, 1]
