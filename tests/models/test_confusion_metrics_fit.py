"""Confusion-matrix metrics (Precision, Recall, AUC and the four counts)
through ``fit`` and ``evaluate`` on each backend, against Keras's formulas.

The oracle is ``tests/keras_confusion.py``, a NumPy transcription of Keras 3
applied to the model's own predictions (``model.predict``): what
``evaluate`` reports must be what Keras computes from those predictions and
the labels. ``fit`` with a learning rate of 0 keeps the weights, so its
epoch values must be the same; with training, the ``val_`` values use the
final weights.
"""

from __future__ import annotations

import keras_confusion as kc
import numpy as np
import pytest

import kgraph as kg
from kgraph.backends.interpreter_executable import InterpreterExecutable
from kgraph.backends.llvm import LLVMExecutable
from kgraph.models import training

RTOL = 1e-6
N, FEATURES, BATCH = 70, 4, 16  # five batches, the last one partial


def _data(seed=0, labels=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, FEATURES)).astype("float32")
    scores = x @ rng.normal(size=(FEATURES, labels)) + rng.normal(size=(N, labels))
    y = (scores > 0.3).astype("float32")
    weights = rng.integers(0, 4, size=N).astype("float32")
    return x, y, weights


def _model(backend, metrics, learning_rate=0.0, labels=1, weighted_metrics=None):
    kg.utils.set_random_seed(3)
    model = kg.Sequential(
        [
            kg.Input((FEATURES,)),
            kg.layers.Dense(8, activation="tanh"),
            kg.layers.Dense(labels, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=metrics,
        weighted_metrics=weighted_metrics,
        backend=backend,
    )
    return model


def _counts(y, predictions, thresholds=None, weights=None):
    return kc.confusion_counts(y, predictions, kc.thresholds_of(thresholds), weights)


def _expected(y, predictions, weights=None):
    """Keras's value of every metric the tests compile, by log name."""
    at_half = _counts(y, predictions, weights=weights)
    return {
        "Precision": kc.precision(at_half)[0],
        "Recall": kc.recall(at_half)[0],
        "precision": kc.precision(at_half)[0],
        "recall": kc.recall(at_half)[0],
        "auc": kc.roc_auc(_counts(y, predictions, kc.auc_thresholds(), weights)),
        "auc_7": kc.roc_auc(_counts(y, predictions, kc.auc_thresholds(7), weights)),
        "TruePositives": at_half["true_positives"][0],
        "false_positives": at_half["false_positives"][0],
        "true_negatives": _counts(y, predictions, 0.3, weights)["true_negatives"][0],
        "fn": _counts(y, predictions, 0.7, weights)["false_negatives"][0],
    }


def _metrics():
    """Names as Keras takes them, a class and instances, fresh for each model."""
    return [
        "Precision",
        "Recall",
        kg.metrics.AUC,
        kg.metrics.AUC(num_thresholds=7, name="auc_7"),
        "TruePositives",
        "false_positives",
        kg.metrics.TrueNegatives(thresholds=0.3),
        kg.metrics.FalseNegatives(thresholds=0.7, name="fn"),
    ]


NAMES = [
    "Precision",
    "Recall",
    "auc",
    "auc_7",
    "TruePositives",
    "false_positives",
    "true_negatives",
    "fn",
]


def _assert_logs(logs, expected, names=NAMES):
    for name in names:
        assert isinstance(logs[name], float), name
        np.testing.assert_allclose(logs[name], expected[name], rtol=RTOL, err_msg=name)


def test_the_issue_precision_and_recall_by_name_fit_and_evaluate(backend):
    x, y, _ = _data()
    for metrics in (["Precision", "Recall"], [kg.metrics.Precision(), "recall"]):
        model = _model(backend, metrics, learning_rate=0.05)
        history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)
        names = [m if isinstance(m, str) else m.name for m in metrics]
        assert sorted(history.history) == sorted(["loss", *names])
        expected = _expected(y, model.predict(x, verbose=0))
        result = model.evaluate(x, y, batch_size=BATCH, verbose=0)
        assert len(result) == 3
        _assert_logs(dict(zip(["loss", *names], result, strict=True)), expected, names)


def test_fit_epoch_values_are_keras_values_of_the_predictions(backend):
    x, y, _ = _data()
    model = _model(backend, _metrics())
    expected = _expected(y, model.predict(x, verbose=0))
    history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0)
    for epoch in range(2):
        _assert_logs({k: v[epoch] for k, v in history.history.items()}, expected)


def test_evaluate_and_validation_values_are_keras_values_after_training(backend):
    x, y, _ = _data()
    x_val, y_val, _ = _data(seed=1)
    model = _model(backend, _metrics(), learning_rate=0.5)
    history = model.fit(
        x, y, batch_size=BATCH, epochs=3, validation_data=(x_val, y_val), verbose=0
    )
    expected = _expected(y_val, model.predict(x_val, verbose=0))
    _assert_logs({name: history.history[f"val_{name}"][-1] for name in NAMES}, expected)
    expected = _expected(y, model.predict(x, verbose=0))
    for batch_size in (BATCH, N, 7):
        logs = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
        _assert_logs(logs, expected)
    result = model.evaluate(x, y, batch_size=BATCH, verbose=0)
    _assert_logs(dict(zip(["loss", *NAMES], result, strict=True)), expected)


def test_compiled_metrics_ignore_sample_weights_as_in_keras(backend):
    """``metrics`` are unweighted in Keras 3; ``sample_weight`` weighs the
    loss only."""
    x, y, weights = _data()
    model = _model(backend, _metrics())
    expected = _expected(y, model.predict(x, verbose=0))
    history = model.fit(
        x, y, sample_weight=weights, batch_size=BATCH, epochs=1, verbose=0
    )
    _assert_logs({k: v[0] for k, v in history.history.items()}, expected)
    weighted = model.evaluate(
        x, y, sample_weight=weights, batch_size=BATCH, verbose=0, return_dict=True
    )
    plain = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    _assert_logs(weighted, expected)
    assert weighted["loss"] != pytest.approx(plain["loss"])


def test_weighted_metrics_use_the_sample_weights(backend):
    x, y, weights = _data()
    model = _model(backend, None, weighted_metrics=["Precision", "TruePositives"])
    expected = _expected(y, model.predict(x, verbose=0), weights)
    logs = model.evaluate(
        x, y, sample_weight=weights, batch_size=BATCH, verbose=0, return_dict=True
    )
    _assert_logs(logs, expected, ["Precision", "TruePositives"])


def test_multi_label_auc_keeps_one_curve_per_label(backend):
    x, y, _ = _data(labels=3)
    auc = kg.metrics.AUC(num_thresholds=20, multi_label=True, num_labels=3)
    model = _model(backend, [auc], labels=3)
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    predictions = model.predict(x, verbose=0)
    expected = np.mean(
        [
            kc.roc_auc(kc.confusion_counts(y[:, i], predictions[:, i], auc.thresholds))
            for i in range(3)
        ]
    )
    np.testing.assert_allclose(history.history["auc"][0], expected, rtol=RTOL)
    logs = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["auc"], expected, rtol=RTOL)


# -- several thresholds ------------------------------------------------------------

SEVERAL = {
    "precision": (kg.metrics.Precision, [0.2, 0.5, 0.8], kc.precision),
    "recall": (kg.metrics.Recall, [0.0, 0.25, 0.5, 0.75, 1.0], kc.recall),
    "true_positives": (kg.metrics.TruePositives, [0.1, 0.9], None),
    "false_positives": (kg.metrics.FalsePositives, [0.0, 0.5, 1.0], None),
    "true_negatives": (kg.metrics.TrueNegatives, [0.3, 0.6], None),
    "false_negatives": (kg.metrics.FalseNegatives, [0.45, 0.55], None),
}


def _several_expected(y, predictions):
    expected = {}
    for name, (_, thresholds, formula) in SEVERAL.items():
        counts = kc.confusion_counts(y, predictions, thresholds)
        expected[name] = formula(counts) if formula else counts[name]
    return expected


def _several_metrics():
    return [cls(thresholds=thresholds) for cls, thresholds, _ in SEVERAL.values()]


def test_several_thresholds_through_the_compiled_statistics(backend):
    """The summed statistics of the train and eval programs give Keras's
    per-threshold arrays (the trainer's logs are not involved)."""
    x, y, _ = _data()
    metrics = _several_metrics()
    model = _model(backend, metrics)
    expected = _several_expected(y, model.predict(x, verbose=0))
    executable = (LLVMExecutable if backend == "llvm" else InterpreterExecutable)(
        model.compiled_program
    )
    data = {
        model.input_names[0]: x,
        training.target_name(model.output_names[0]): y,
        "sample_weight": np.ones(N, dtype="float32"),
    }
    state = {v.path: v.numpy() for v in [*model.weights, *model.optimizer.variables]}
    evaluated = executable.evaluate(state, data, BATCH)
    trained = executable.train(state, data, np.arange(N), BATCH, range(5), 0, 0, 0.0)
    for totals in (evaluated, trained):
        for metric in metrics:
            stats = {
                key: totals[training.stat_name(metric.name, key)]
                for key in metric.statistic_shapes()
            }
            value = metric.result(stats)
            assert isinstance(value, np.ndarray) and value.dtype == np.float32
            assert value.shape == (len(metric.thresholds),)
            np.testing.assert_allclose(
                value, expected[metric.name], rtol=RTOL, err_msg=metric.name
            )


def test_several_thresholds_fit_and_evaluate_log_arrays_as_keras(backend):
    x, y, _ = _data()
    model = _model(backend, _several_metrics())
    expected = _several_expected(y, model.predict(x, verbose=0))
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    for name in SEVERAL:
        for value in (history.history[name][0], logs[name]):
            assert isinstance(value, np.ndarray) and value.dtype == np.float32
            np.testing.assert_allclose(value, expected[name], rtol=RTOL)


# -- saving ---------------------------------------------------------------------------


def test_saved_model_keeps_its_confusion_metrics(backend, tmp_path):
    x, y, _ = _data()
    model = _model(backend, _metrics(), learning_rate=0.5)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    path = tmp_path / "model.kgraph"
    model.save(path)
    restored = kg.models.load_model(path)
    expected = _expected(y, model.predict(x, verbose=0))
    logs = restored.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    assert sorted(logs) == sorted(["loss", *NAMES])
    _assert_logs(logs, expected)
