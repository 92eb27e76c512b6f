"""Handwritten digits with a Keras-style MLP, on kgraph.

The data is scikit-learn's ``load_digits``: 1,797 real 8x8 scans of
handwritten digits, shipped inside scikit-learn (no download). 80% trains,
20% tests. Run: ``python examples/digits_mlp.py`` (``--backend numpy`` for
the reference interpreter, ``--save digits.kgraph`` to keep the trained
model for ``kg.models.load_model`` and the ``kgraph`` command).
"""

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kgraph as kg
from kgraph.layers import Dense
from kgraph.layers import Dropout
from kgraph.models import Sequential


def main() -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="numpy or llvm")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument(
        "--save", metavar="PATH", help="save the trained model (.kgraph or .keras)"
    )
    args = parser.parse_args()

    kg.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = kg.utils.to_categorical(digits.target, 10)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=0, stratify=digits.target
    )

    model = Sequential(
        [
            Dense(units=128, activation="relu", input_shape=(64,)),
            Dropout(0.2),
            Dense(units=64, activation="relu"),
            Dense(units=10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        backend=args.backend,
    )
    model.summary()
    model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=32,
        validation_split=0.1,
        verbose=2,
    )
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    truth = np.argmax(y_test[:10], axis=1).tolist()
    print(f"first test digits: true {truth}, predicted {predicted[:10].tolist()}")
    if args.save:
        model.save(args.save)
        print(f"saved the model to {args.save}")
    return accuracy


if __name__ == "__main__":
    main()
