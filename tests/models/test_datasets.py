"""fit, evaluate and predict over batches computed in Python: a
``kg.utils.PyDataset`` or a generator, with Keras's epoch semantics
(``steps_per_epoch``, ``validation_steps``, running out of data) and the
same History as the equivalent arrays when the batches match."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kgraph as kg

pytestmark = pytest.mark.usefixtures("backend")

N = 40


def _data(n=N, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")).astype("float32")
    return x, y


def _model(dropout=0.0, seed=1):
    kg.utils.set_random_seed(seed)
    model = kg.Sequential(
        [
            kg.Input((3,)),
            kg.layers.Dense(4, activation="relu"),
            kg.layers.Dropout(dropout),
            kg.layers.Dense(1),
        ]
    )
    model.compile(kg.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return model


class Batches(kg.utils.PyDataset):
    """Slices of arrays, as keras.io's PyDataset examples write them."""

    def __init__(self, x, y, batch_size, weights=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.weights = x, y, weights
        self.batch_size = batch_size
        self.epochs_ended = 0
        self.epochs_begun = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.y is None:
            return self.x[part]
        if self.weights is not None:
            return self.x[part], self.y[part], self.weights[part]
        return self.x[part], self.y[part]

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


def _assert_same_history(first, second):
    assert first.keys() == second.keys()
    for key in first:
        np.testing.assert_allclose(first[key], second[key], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("batch_size", [8, 7])
def test_a_py_dataset_trains_as_the_same_batches_of_arrays(batch_size):
    x, y = _data()
    arrays = _model(dropout=0.25).fit(
        x, y, batch_size=batch_size, epochs=3, shuffle=False, verbose=0
    )
    dataset = Batches(x, y, batch_size)
    batched = _model(dropout=0.25).fit(dataset, epochs=3, shuffle=False, verbose=0)
    _assert_same_history(arrays.history, batched.history)
    assert dataset.epochs_begun == dataset.epochs_ended == 3


def test_a_generator_with_steps_per_epoch_trains_as_arrays():
    x, y = _data()

    def endless():
        while True:
            for start in range(0, N, 8):
                yield x[start : start + 8], y[start : start + 8]

    arrays = _model().fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    generated = _model().fit(endless(), steps_per_epoch=5, epochs=3, verbose=0)
    _assert_same_history(arrays.history, generated.history)


def test_sample_weights_in_batches_weight_the_loss():
    x, y = _data()
    weights = np.linspace(0.0, 2.0, N).astype("float32")
    arrays = _model().fit(
        x, y, sample_weight=weights, batch_size=10, shuffle=False, verbose=0
    )
    batched = _model().fit(Batches(x, y, 10, weights), shuffle=False, verbose=0)
    _assert_same_history(arrays.history, batched.history)


def test_validation_data_may_be_a_dataset_a_generator_or_a_weighted_tuple():
    x, y = _data()
    weights = np.ones(N, dtype="float32")
    reference = _model().fit(
        x, y, batch_size=8, epochs=2, shuffle=False, validation_data=(x, y), verbose=0
    )
    for validation in (Batches(x, y, 8), (x, y, weights)):
        history = _model().fit(
            x,
            y,
            batch_size=8,
            epochs=2,
            shuffle=False,
            validation_data=validation,
            verbose=0,
        )
        _assert_same_history(reference.history, history.history)

    def endless():
        while True:
            yield x, y

    history = _model().fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        shuffle=False,
        validation_data=endless(),
        validation_steps=1,
        verbose=0,
    )
    _assert_same_history(reference.history, history.history)


def test_steps_per_epoch_continues_through_a_dataset_across_epochs():
    x, y = _data()
    seen = []

    class Spy(Batches):
        def __getitem__(self, index):
            seen.append(index)
            return super().__getitem__(index)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _model().fit(
            Spy(x, y, 8), steps_per_epoch=2, epochs=3, shuffle=False, verbose=0
        )
    # 5 batches: epochs take 0-1, 2-3, then 4 alone (Keras warns it ran out).
    assert seen == [0, 1, 2, 3, 4]
    assert any("ran out of data" in str(w.message) for w in caught)


def test_a_finite_generator_ends_training_when_it_runs_out():
    x, y = _data()

    def once():
        for start in range(0, N, 8):
            yield x[start : start + 8], y[start : start + 8]

    with pytest.warns(UserWarning, match="ran out of data"):
        history = _model().fit(once(), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_evaluate_and_predict_take_datasets_and_generators():
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0)
    expected = model.evaluate(x, y, batch_size=8, verbose=0)
    np.testing.assert_allclose(
        model.evaluate(Batches(x, y, 8), verbose=0), expected, rtol=1e-5
    )
    gen = ((x[i : i + 8], y[i : i + 8]) for i in range(0, N, 8))
    np.testing.assert_allclose(model.evaluate(gen, verbose=0), expected, rtol=1e-5)
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(
        model.predict(Batches(x, None, 16), verbose=0), predicted, rtol=1e-5
    )
    gen = ((x[i : i + 8],) for i in range(0, N, 8))
    np.testing.assert_allclose(model.predict(gen, steps=2, verbose=0), predicted[:16])


def test_workers_compute_batches_ahead_in_order():
    x, y = _data()
    serial = _model().fit(Batches(x, y, 4), epochs=2, shuffle=False, verbose=0)
    threaded = _model().fit(
        Batches(x, y, 4, workers=3, max_queue_size=4),
        epochs=2,
        shuffle=False,
        verbose=0,
    )
    _assert_same_history(serial.history, threaded.history)


def test_callbacks_see_every_epoch_and_the_steps():
    x, y = _data()
    seen = {}

    class Recorder(kg.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["steps"] = self.params["steps"]

        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("batches", []).append(batch)

    _model().fit(Batches(x, y, 8), epochs=2, callbacks=[Recorder()], verbose=0)
    assert seen["steps"] == 5
    assert seen["batches"][-1] == 4


def test_arrays_with_steps_per_epoch_continue_through_the_epoch_order():
    x, y = _data()
    whole = _model().fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    halves = _model().fit(
        x, y, batch_size=8, epochs=1, steps_per_epoch=5, shuffle=False, verbose=0
    )
    _assert_same_history(whole.history, halves.history)


def test_validation_freq_validates_every_nth_epoch():
    x, y = _data()
    history = _model().fit(
        x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0
    )
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == 2


@pytest.mark.no_native
def test_arguments_that_batches_carry_themselves_are_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="`y` should not be passed"):
        _model().fit(Batches(x, y, 8), y, verbose=0)
    with pytest.raises(ValueError, match="`class_weight` is not supported"):
        _model().fit(iter([(x, y)]), class_weight={0: 1.0}, verbose=0)


def test_an_endless_dataset_needs_steps_per_epoch():
    class Endless(kg.utils.PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            return np.zeros((2, 3), "float32"), np.zeros((2, 1), "float32")

    with pytest.raises(ValueError, match="steps_per_epoch"):
        _model().fit(Endless(), verbose=0)
    history = _model().fit(Endless(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.no_native
def test_batches_of_another_length_are_refused():
    def bad():
        yield (np.zeros((2, 3)), np.zeros((2, 1)), None, None)

    with pytest.raises(ValueError, match=r"\(x, y, sample_weight\)"):
        _model().fit(bad(), verbose=0)


def test_class_weight_weights_dataset_batches_as_arrays():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 3)).astype("float32")
    labels = rng.integers(0, 2, 24)

    def classifier():
        kg.utils.set_random_seed(0)
        model = kg.Sequential(
            [kg.Input((3,)), kg.layers.Dense(2, activation="softmax")]
        )
        model.compile(kg.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        return model

    weights = {0: 0.25, 1: 2.0}
    arrays = classifier().fit(
        x, labels, batch_size=8, class_weight=weights, shuffle=False, verbose=0
    )
    batched = classifier().fit(
        Batches(x, labels, 8), class_weight=weights, shuffle=False, verbose=0
    )
    _assert_same_history(arrays.history, batched.history)


def test_dict_batches_feed_models_with_named_inputs_and_outputs():
    a, b = kg.Input((2,), name="a"), kg.Input((3,), name="b")
    joined = kg.layers.Concatenate()([a, b])
    model = kg.Model(
        {"a": a, "b": b},
        {
            "o1": kg.layers.Dense(1, name="o1")(joined),
            "o2": kg.layers.Dense(2, name="o2")(joined),
        },
    )
    model.compile("adam", {"o1": "mse", "o2": "mse"})
    rng = np.random.default_rng(0)
    xs = {"a": rng.normal(size=(20, 2)), "b": rng.normal(size=(20, 3))}
    ys = {"o1": rng.normal(size=(20, 1)), "o2": rng.normal(size=(20, 2))}

    class Named(kg.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            part = slice(index * 5, (index + 1) * 5)
            return (
                {k: v[part] for k, v in xs.items()},
                {k: v[part] for k, v in ys.items()},
            )

    history = model.fit(Named(), epochs=2, verbose=0)
    assert set(history.history) == {"loss", "o1_loss", "o2_loss"}
    predicted = model.predict(Named(), verbose=0)
    assert predicted["o1"].shape == (20, 1) and predicted["o2"].shape == (20, 2)
