"""A functional model with two inputs and two outputs, trained with a loss
dict and loss weights: from a ticket's text features and tags, predict its
priority (regression) and its department (classification).

Run: ``python examples/functional_multi_io.py`` (``--epochs N``,
``--backend numpy`` for the reference interpreter).
"""

import argparse

import numpy as np

import kgraph as kg
from kgraph import layers


def make_data(samples: int, seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(samples, 32)).astype("float32")
    tags = (rng.random((samples, 8)) < 0.3).astype("float32")
    priority = (
        text[:, :4].sum(axis=1, keepdims=True) + tags[:, :2].sum(axis=1, keepdims=True)
    ).astype("float32")
    department = (np.argmax(text[:, 4:8], axis=1) + 4 * (tags[:, 7] > 0)).astype(
        "int32"
    )
    return {"text": text, "tags": tags}, {
        "priority": priority,
        "department": department,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="numpy or llvm")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()

    kg.utils.set_random_seed(0)
    text = kg.Input(shape=(32,), name="text")
    tags = kg.Input(shape=(8,), name="tags")
    features = layers.Concatenate()(
        [
            layers.Dense(32, activation="relu")(text),
            layers.Dense(8, activation="relu")(tags),
        ]
    )
    hidden = layers.Dense(32, activation="relu")(features)
    priority = layers.Dense(1, name="priority")(hidden)
    department = layers.Dense(8, activation="softmax", name="department")(hidden)
    model = kg.Model(inputs=[text, tags], outputs=[priority, department])
    model.compile(
        optimizer=kg.optimizers.RMSprop(3e-3),
        loss={"priority": "mse", "department": "sparse_categorical_crossentropy"},
        loss_weights={"priority": 1.0, "department": 0.5},
        metrics={"department": ["accuracy"]},
        backend=args.backend,
    )
    model.summary()
    x, y = make_data(3000, seed=1)
    x_test, y_test = make_data(500, seed=2)
    model.fit(x, y, epochs=args.epochs, batch_size=64, validation_split=0.2, verbose=2)
    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print("test:", {k: round(v, 4) for k, v in results.items()})
    predicted_priority, predicted_department = model.predict(x_test, verbose=0)
    print(
        "priority of the first ticket:",
        float(predicted_priority[0, 0]),
        "department:",
        int(np.argmax(predicted_department[0])),
    )


if __name__ == "__main__":
    main()
