"""Handwritten digits with a Keras-style convolutional network, on kgraph.

The data is scikit-learn's ``load_digits``: 1,797 real 8x8 scans of
handwritten digits, shipped inside scikit-learn (no download), as 8x8x1
images. 80% trains, 20% tests. Two 3x3 convolutions and a max pooling feed
a small dense classifier. Run: ``python examples/digits_cnn.py``
(``--backend numpy`` for the reference interpreter).
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kgraph as kg
from kgraph.layers import Conv2D
from kgraph.layers import Dense
from kgraph.layers import Dropout
from kgraph.layers import Flatten
from kgraph.layers import Input
from kgraph.layers import MaxPooling2D
from kgraph.models import Sequential


def main() -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="numpy or llvm")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()

    kg.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=0, stratify=y
    )

    model = Sequential(
        [
            Input(shape=(8, 8, 1)),
            Conv2D(32, (3, 3), padding="same", activation="relu"),
            Conv2D(64, (3, 3), padding="same", activation="relu"),
            MaxPooling2D((2, 2)),
            Flatten(),
            Dropout(0.25),
            Dense(64, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        backend=args.backend,
    )
    model.summary()
    started = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=32,
        validation_split=0.1,
        verbose=2,
    )
    seconds = time.perf_counter() - started
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
    print(f"trained {args.epochs} epochs in {seconds:.1f} s")
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    print(
        f"first test digits: true {y_test[:10].tolist()}, predicted "
        f"{predicted[:10].tolist()}"
    )
    return accuracy


if __name__ == "__main__":
    main()
