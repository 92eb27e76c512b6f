"""Data-parallel training over several processes (MPI), on kgraph.

Run it as a job of two processes on this machine::

    mpiexec -n 2 python examples/distributed_mnist.py

or over machines listed in a host file (the same Python environment and
this script on each)::

    mpiexec -n 4 -f hosts python examples/distributed_mnist.py

Every process trains on its share of each global batch of 128; the
gradients are summed over the processes inside the native training step,
so the weights stay the same everywhere. Process 0 alone prints. The data
is scikit-learn's ``load_digits`` (1,797 real 8x8 scans, no download),
upsampled to MNIST's 28x28; without scikit-learn, seeded MNIST-shaped
images of the same ten classes. Needs ``pip install "kgraph[distributed]"``.
"""

import argparse

import numpy as np

import kgraph as kg


def load() -> tuple[np.ndarray, np.ndarray]:
    """28x28 digit images in [0, 1] and their labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 10, 2000)
        centers = rng.random((10, 28 * 28)).astype("float32")
        noise = 0.3 * rng.random((2000, 28 * 28)).astype("float32")
        return np.clip(centers[labels] + noise, 0, 1).astype("float32"), labels
    digits = load_digits()
    images = digits.images / 16.0
    # 8x8 -> 24x24 by repeating pixels, padded to 28x28 as MNIST centres digits.
    large = images.repeat(3, axis=1).repeat(3, axis=2)
    padded = np.pad(large, ((0, 0), (2, 2), (2, 2)))
    return padded.reshape(len(images), -1).astype("float32"), digits.target


def main() -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    strategy = kg.distribution.DataParallel()
    kg.distribution.set_distribution(strategy)
    if strategy.is_chief:
        print(f"{strategy.num_processes} process(es): {kg.distribution.list_devices()}")

    kg.utils.set_random_seed(0)
    x, labels = load()
    y = kg.utils.to_categorical(labels, 10)
    split = int(0.8 * len(x))
    model = kg.Sequential(
        [
            kg.Input((28 * 28,)),
            kg.layers.Dense(128, activation="relu"),
            kg.layers.Dropout(0.2),
            kg.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(
        x[:split],
        y[:split],
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=(x[split:], y[split:]),
        verbose=2,
    )
    loss, accuracy = model.evaluate(x[split:], y[split:], verbose=0)
    if strategy.is_chief:
        print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
