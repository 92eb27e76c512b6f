"""Sequence classification with an LSTM over variable-length sequences, on
kgraph.

A synthetic but learnable task: sequences of 4 to 16 tokens drawn from a
vocabulary of 10 (token 0 is padding); the label is 1 when token 3 appears
before token 7 (an order a bag of words cannot see). Half of the samples
are positive, so chance is 0.5. The sequences are padded to one length
with ``pad_sequences``; the model takes ``Input(shape=(None,))`` (any
length), embeds the tokens with ``Embedding(mask_zero=True)`` so the LSTM
skips the padding, and classifies the LSTM's last state. The LSTM is one
loop in the compiled graph, whatever the length. Run:
``python examples/sequence_classification.py`` (``--backend numpy`` for the
reference interpreter, ``--samples`` and ``--epochs`` for a shorter run).
"""

import argparse

import numpy as np

import kgraph as kg
from kgraph import layers
from kgraph.models import Sequential

VOCABULARY = 10
SHORTEST, LONGEST = 4, 16
FIRST, SECOND = 3, 7


def make_data(samples: int, rng: np.random.Generator) -> tuple[list, np.ndarray]:
    """Token sequences of varying lengths and their labels (1 when FIRST
    comes before SECOND).

    Half the samples are positive. Of the negatives, half hold both tokens
    in the other order, half hold at most one of them.
    """
    others = [t for t in range(1, VOCABULARY) if t not in (FIRST, SECOND)]
    y = (rng.random(samples) < 0.5).astype("float32")
    sequences = []
    for row in range(samples):
        length = int(rng.integers(SHORTEST, LONGEST + 1))
        tokens = rng.choice(others, size=length)
        i, j = sorted(rng.choice(length, size=2, replace=False))
        if y[row]:
            tokens[i], tokens[j] = FIRST, SECOND
        elif rng.random() < 0.5:
            tokens[i], tokens[j] = SECOND, FIRST
        elif rng.random() < 0.7:
            tokens[i] = rng.choice([FIRST, SECOND])
        sequences.append(tokens.tolist())
    return sequences, y


def main() -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="numpy or llvm")
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()

    kg.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    sequences, y = make_data(args.samples, rng)
    x = kg.utils.pad_sequences(sequences)
    split = int(0.8 * len(x))
    x_train, x_test, y_train, y_test = x[:split], x[split:], y[:split], y[split:]
    lengths = [len(s) for s in sequences]
    print(f"{len(x)} sequences of {min(lengths)} to {max(lengths)} tokens")

    model = Sequential(
        [
            kg.Input(shape=(None,), dtype="int32"),
            layers.Embedding(VOCABULARY, 16, mask_zero=True),
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
