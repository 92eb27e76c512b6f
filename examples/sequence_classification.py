"""Sequence classification with an LSTM, on kgraph.

A synthetic but learnable task: sequences of 8 tokens drawn from a
vocabulary of 10; the label is 1 when token 3 appears before token 7 (an
order a bag of words cannot see). Half of the samples are positive, so
chance is 0.5. The model embeds the tokens
(``Embedding``; one-hot vectors when this kgraph has no ``Embedding``),
runs an ``LSTM`` over the 8 steps (unrolled in the graph) and classifies
its last state. Run: ``python examples/sequence_classification.py``
(``--backend numpy`` for the reference interpreter, ``--samples`` and
``--epochs`` for a shorter run).
"""

import argparse

import numpy as np

import kgraph as kg
from kgraph import layers
from kgraph.models import Sequential

VOCABULARY = 10
LENGTH = 8
FIRST, SECOND = 3, 7


def make_data(samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Token sequences and their labels (1 when FIRST comes before SECOND).

    Half the samples are positive. Of the negatives, half hold both tokens
    in the other order, half hold at most one of them.
    """
    others = [t for t in range(VOCABULARY) if t not in (FIRST, SECOND)]
    x = rng.choice(others, size=(samples, LENGTH))
    y = (rng.random(samples) < 0.5).astype("float32")
    for row in range(samples):
        i, j = sorted(rng.choice(LENGTH, size=2, replace=False))
        if y[row]:
            x[row, i], x[row, j] = FIRST, SECOND
        elif rng.random() < 0.5:
            x[row, i], x[row, j] = SECOND, FIRST
        elif rng.random() < 0.7:
            x[row, i] = rng.choice([FIRST, SECOND])
    return x.astype("int32"), y


def main() -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="numpy or llvm")
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()

    kg.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = make_data(args.samples, rng)
    split = int(0.8 * len(x))
    x_train, x_test, y_train, y_test = x[:split], x[split:], y[:split], y[split:]

    if hasattr(layers, "Embedding"):
        front = [layers.Embedding(VOCABULARY, 16)]
        model_input = kg.Input(shape=(LENGTH,), dtype="int32")
    else:
        x_train = kg.utils.to_categorical(x_train, VOCABULARY)
        x_test = kg.utils.to_categorical(x_test, VOCABULARY)
        front = []
        model_input = kg.Input(shape=(LENGTH, VOCABULARY))
    model = Sequential(
        [
            model_input,
            *front,
            layers.LSTM(32),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=kg.optimizers.Adam(learning_rate=0.01),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        backend=args.backend,
    )
    model.summary()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"positives in the test set: {y_test.mean():.2f}")
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
