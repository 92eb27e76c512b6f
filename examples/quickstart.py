"""The Keras quickstart, unchanged but for the import: a Sequential MLP on
MNIST-shaped data (784 features, 10 classes) that this script makes itself,
so it runs anywhere without a download.

Run: ``python examples/quickstart.py`` (``--epochs N``, ``--backend numpy``
for the reference interpreter).
"""

import argparse

import numpy as np

import kgraph as kg
from kgraph.layers import Dense
from kgraph.models import Sequential


def make_data(samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images of 784 pixels whose class decides which pixel block is bright."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, samples)
    x = rng.uniform(0.0, 0.3, (samples, 784)).astype("float32")
    for digit in range(10):
        rows = labels == digit
        x[rows, digit * 78 : digit * 78 + 78] += 0.7
    return x, kg.utils.to_categorical(labels, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="numpy or llvm")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    kg.utils.set_random_seed(0)
    x_train, y_train = make_data(2000, seed=1)
    x_test, y_test = make_data(500, seed=2)

    model = Sequential()
    model.add(Dense(units=64, activation="relu", input_shape=(784,)))
    model.add(Dense(units=10, activation="softmax"))
    model.compile(
        optimizer="adam",
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        backend=args.backend,
    )

    model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=32,
        validation_data=(x_test, y_test),
    )
    loss_and_metrics = model.evaluate(x_test, y_test, batch_size=128)
    classes = model.predict(x_test, batch_size=128)
    print("test loss, test accuracy:", loss_and_metrics)
    print("predicted classes of the first 10:", np.argmax(classes[:10], axis=1))


if __name__ == "__main__":
    main()
