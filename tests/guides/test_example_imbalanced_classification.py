"""The keras.io example "Imbalanced classification: credit card fraud
detection", as a kgraph program (``import kgraph as keras``).

Changed, and why: the Kaggle credit-card file is replaced by generated
transactions (30 features, about 2% frauds, which differ from the rest in a
few features), sized for a test; the example's 30 epochs at batch size
2,048 become 8 epochs at batch size 256.
"""

from __future__ import annotations

import numpy as np

import kgraph as keras


def transactions(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and 0/1 targets, frauds about 2% of the rows."""
    rng = np.random.default_rng(seed)
    targets = (rng.uniform(size=(n, 1)) < 0.02).astype("uint8")
    features = rng.normal(size=(n, 30)).astype("float32")
    features[:, :4] += 2.5 * targets
    features[:, 29] = rng.exponential(80.0, size=n)  # the amount
    return features, targets


def test_imbalanced_classification_with_class_weight(backend, tmp_path):
    features, targets = transactions(4096, seed=0)
    num_val_samples = int(len(features) * 0.2)
    train_features = features[:-num_val_samples]
    train_targets = targets[:-num_val_samples]
    val_features = features[-num_val_samples:]
    val_targets = targets[-num_val_samples:]

    counts = np.bincount(train_targets[:, 0])
    weight_for_0 = 1.0 / counts[0]
    weight_for_1 = 1.0 / counts[1]

    mean = np.mean(train_features, axis=0)
    train_features -= mean
    val_features -= mean
    std = np.std(train_features, axis=0)
    train_features /= std
    val_features /= std

    model = keras.Sequential(
        [
            keras.Input(shape=train_features.shape[1:]),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss="binary_crossentropy",
        metrics=metrics,
    )
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            str(tmp_path / "fraud_model_at_epoch_{epoch}.keras")
        )
    ]
    class_weight = {0: weight_for_0, 1: weight_for_1}
    history = model.fit(
        train_features,
        train_targets,
        batch_size=256,
        epochs=8,
        verbose=0,
        callbacks=callbacks,
        validation_data=(val_features, val_targets),
        class_weight=class_weight,
    )
    logs = history.history
    assert (tmp_path / "fraud_model_at_epoch_8.keras").exists()
    # The confusion counts add up to the validation set.
    last = {key: values[-1] for key, values in logs.items()}
    total = last["val_fn"] + last["val_fp"] + last["val_tn"] + last["val_tp"]
    assert total == num_val_samples
    # Weighted by class, the rare frauds are found.
    assert last["val_recall"] >= 0.8
    reloaded = keras.models.load_model(tmp_path / "fraud_model_at_epoch_8.keras")
    np.testing.assert_allclose(
        reloaded.predict(val_features[:16], verbose=0),
        model.predict(val_features[:16], verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
