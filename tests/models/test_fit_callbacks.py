"""Callbacks driving a real fit: stop_training, EarlyStopping, the learning
rate schedule the graph uses, checkpoints, NaN losses, and dropout's
reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from keras_reference import DenseStack

import kgraph as kg

# Every test runs on each backend (see conftest.py).
pytestmark = pytest.mark.usefixtures("backend")


def _regression(n=8, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(n, 3)) * scale).astype("float32")
    y = (x @ np.array([[1.0], [-1.0], [2.0]]) + 0.5).astype("float32")
    return x, y


def _linear(learning_rate=0.01, seed=0, **compile_kwargs):
    kg.utils.set_random_seed(seed)
    model = kg.Sequential([kg.layers.Dense(1, input_shape=(3,))])
    model.compile(
        optimizer=kg.optimizers.SGD(learning_rate=learning_rate),
        loss="mse",
        **compile_kwargs,
    )
    return model


def test_stop_training_from_a_lambda_callback():
    x, y = _regression()
    model = _linear()
    ends = []

    def on_epoch_end(epoch, logs):
        ends.append(epoch)
        if epoch == 1:
            model.stop_training = True

    history = model.fit(
        x,
        y,
        epochs=10,
        verbose=0,
        callbacks=[kg.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)],
    )
    assert ends == [0, 1]
    assert len(history.history["loss"]) == 2
    # The next fit starts afresh.
    assert len(model.fit(x, y, epochs=2, verbose=0).history["loss"]) == 2


def test_stop_training_mid_epoch_still_validates_and_ends():
    """Keras breaks out of the batch loop, then still runs validation and
    on_epoch_end for that epoch."""
    x, y = _regression(n=64)
    model = _linear()
    events = []

    class Stopper(kg.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            events.append(("train_end",))

    history = model.fit(
        x,
        y,
        batch_size=2,
        epochs=3,
        validation_split=0.25,
        verbose=0,
        callbacks=[Stopper()],
    )
    assert events == [("epoch_end", 0, ["loss", "val_loss"]), ("train_end",)]
    assert len(history.history["val_loss"]) == 1
    # Far fewer than the 24 steps of a whole epoch ran.
    assert int(model.optimizer.iterations.value) < 24


def test_early_stopping_restores_the_best_weights():
    # Full-batch SGD with a learning rate far too large diverges: the loss
    # grows every epoch after the first, so the first epoch is the best.
    x, y = _regression(scale=3.0)
    model = _linear(learning_rate=0.5)
    snapshots = []
    record = kg.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())
    )
    stopper = kg.callbacks.EarlyStopping(
        monitor="loss", patience=2, restore_best_weights=True
    )
    history = model.fit(
        x, y, batch_size=8, epochs=20, verbose=0, callbacks=[record, stopper]
    )
    losses = history.history["loss"]
    assert len(losses) == 3
    assert losses[0] < losses[1] < losses[2]
    for restored, best in zip(model.get_weights(), snapshots[0], strict=True):
        np.testing.assert_array_equal(restored, best)
    assert not np.array_equal(model.get_weights()[0], snapshots[-1][0])
    # Predictions use the restored weights.
    reference = DenseStack(snapshots[0], ["linear"], "mse")
    np.testing.assert_allclose(
        model.predict(x, verbose=0), reference.predict(x), rtol=1e-5
    )


def test_learning_rate_scheduler_sets_the_rate_the_graph_uses():
    x, y = _regression()
    model = _linear(learning_rate=0.01)
    rates = {0: 0.5, 1: 0.0, 2: 0.125}
    before = model.get_weights()
    snapshots = []
    callbacks = [
        kg.callbacks.LearningRateScheduler(lambda epoch, lr: rates[epoch]),
        kg.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())
        ),
    ]
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=callbacks)
    assert history.history["learning_rate"] == pytest.approx([0.5, 0.0, 0.125])

    reference = DenseStack(before, ["linear"], "mse")
    for epoch, rate in rates.items():
        _, grads = reference.loss_and_grads(x, y)
        for weight, grad in zip(reference.weights, grads, strict=True):
            weight -= rate * grad
        for actual, expected in zip(snapshots[epoch], reference.weights, strict=True):
            np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    # lr = 0 in the second epoch: nothing moved.
    for a, b in zip(snapshots[0], snapshots[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_setting_the_learning_rate_between_fits():
    x, y = _regression()
    model = _linear(learning_rate=0.01)
    model.optimizer.learning_rate = 0.0
    before = model.get_weights()
    model.fit(x, y, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_writes_loadable_weights(tmp_path):
    x, y = _regression()
    model = _linear(learning_rate=0.05)
    snapshots = []
    callbacks = [
        kg.callbacks.ModelCheckpoint(
            str(tmp_path / "ckpt-{epoch:02d}.weights.npz"), save_weights_only=True
        ),
        kg.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())
        ),
    ]
    model.fit(x, y, batch_size=3, epochs=3, verbose=0, callbacks=callbacks)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"ckpt-0{i}.weights.npz" for i in (1, 2, 3)]

    fresh = _linear(seed=7)
    for epoch in range(3):
        fresh.load_weights(str(tmp_path / f"ckpt-{epoch + 1:02d}.weights.npz"))
        for a, b in zip(fresh.get_weights(), snapshots[epoch], strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(
        fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6
    )


def test_model_checkpoint_save_best_only(tmp_path):
    x, y = _regression()
    model = _linear(learning_rate=0.05)
    path = tmp_path / "best.weights.npz"
    checkpoint = kg.callbacks.ModelCheckpoint(
        str(path), monitor="loss", save_best_only=True, save_weights_only=True
    )
    model.fit(x, y, epochs=3, verbose=0, callbacks=[checkpoint])
    assert path.exists()


def test_terminate_on_nan(capsys):
    x, y = _regression(n=12)
    x[5, 1] = np.nan
    model = _linear()
    history = model.fit(
        x,
        y,
        batch_size=4,
        epochs=5,
        verbose=0,
        callbacks=[kg.callbacks.TerminateOnNaN()],
    )
    losses = history.history["loss"]
    assert len(losses) == 1
    assert np.isnan(losses[0])
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert model.stop_training


def test_nan_without_terminate_on_nan_keeps_training():
    x, y = _regression(n=12)
    x[0, 0] = np.nan
    model = _linear()
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isnan(history.history["loss"]).all()


# -- dropout -------------------------------------------------------------------------


def _dropout_model():
    model = kg.Sequential(
        [
            kg.layers.Dense(16, activation="relu", input_shape=(3,)),
            kg.layers.Dropout(0.5),
            kg.layers.Dense(1),
        ]
    )
    model.compile(optimizer=kg.optimizers.SGD(learning_rate=0.05), loss="mse")
    return model


def _dropout_run(seed):
    x, y = _regression(n=20)
    # A new session: the layers get the same names as in the other run.
    kg.utils.clear_session()
    kg.utils.set_random_seed(0)
    model = _dropout_model()
    kg.utils.set_random_seed(seed)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    return history.history["loss"], model.get_weights(), model, x


def test_dropout_fits_with_the_same_seed_agree_exactly():
    first_losses, first_weights, _, _ = _dropout_run(seed=11)
    second_losses, second_weights, _, _ = _dropout_run(seed=11)
    assert first_losses == second_losses
    for a, b in zip(first_weights, second_weights, strict=True):
        np.testing.assert_array_equal(a, b)
    other_losses, _, _, _ = _dropout_run(seed=12)
    assert other_losses != first_losses


def test_dropout_same_seed_agrees_without_clear_session():
    x, y = _regression(n=20)
    losses = []
    for _ in range(2):
        kg.utils.set_random_seed(0)
        model = _dropout_model()
        losses.append(model.fit(x, y, batch_size=8, verbose=0).history["loss"])
    assert losses[0] == losses[1]


def test_dropout_is_active_in_training_only():
    _, weights, model, x = _dropout_run(seed=3)
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))
    np.testing.assert_allclose(
        first, model.predict(x, batch_size=7, verbose=0), rtol=1e-6, atol=1e-7
    )
    # Inference is the plain forward pass, dropout being the identity.
    hidden = np.maximum(x @ weights[0] + weights[1], 0)
    np.testing.assert_allclose(first, hidden @ weights[2] + weights[3], rtol=1e-5)
    # With lr=0 the training loss differs from the inference loss because
    # dropout is on.
    model.optimizer.learning_rate = 0.0
    _, y = _regression(n=20)
    train_loss = model.fit(x, y, batch_size=20, verbose=0).history["loss"][0]
    assert train_loss != pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-4)
