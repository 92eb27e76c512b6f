"""Deploying without Python: train the digits MLP, export it as a C library,
and classify a digit with a 20-line C program.

``model.export("digits_c", format="c")`` writes ``digits.h`` and
``digits.o`` (the predict loop with its weights, for this CPU; nothing to
link but the C math library). The program below reads the 64 pixels of
an 8x8 digit (0 to 16, as scikit-learn's ``load_digits``) from its standard
input and prints the class. Run: ``python examples/export_digits.py``
(builds with the C compiler ``cc`` when there is one).
"""

import argparse
import shutil
import subprocess
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

import kgraph as kg

PROGRAM = """\
#include <stdio.h>
#include "digits.h"

/* Reads 64 pixel values (0 to 16) and prints the digit they show. */
int main(void) {
    float pixels[DIGITS_INPUT_0_SIZE], scores[DIGITS_OUTPUT_0_SIZE];
    for (int i = 0; i < DIGITS_INPUT_0_SIZE; i++) {
        if (scanf("%f", &pixels[i]) != 1) return 1;
        pixels[i] /= 16.0f;
    }
    if (digits_predict(pixels, scores, 1) != 0) return 2;
    int best = 0;
    for (int k = 1; k < DIGITS_OUTPUT_0_SIZE; k++)
        if (scores[k] > scores[best]) best = k;
    printf("%d %.4f\\n", best, scores[best]);
    return 0;
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="digits_c", help="the folder to write")
    args = parser.parse_args()

    kg.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = kg.utils.to_categorical(digits.target, 10)
    model = kg.Sequential(
        [
            kg.Input((64,)),
            kg.layers.Dense(64, activation="relu"),
            kg.layers.Dense(10, activation="softmax"),
        ],
        name="digits",
    )
    model.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x[:1500], y[:1500], epochs=args.epochs, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[1500:], y[1500:], verbose=0)
    print(f"trained: test accuracy {accuracy:.4f}")

    folder = Path(args.out)
    model.export(str(folder), format="c")
    (folder / "classify.c").write_text(PROGRAM)
    compiler = shutil.which("cc")
    if compiler is None:
        print(f"no C compiler: build with `cc classify.c digits.o -lm` in {folder}")
        return
    subprocess.run(
        [compiler, "-O2", "classify.c", "digits.o", "-lm", "-o", "classify"],
        cwd=folder,
        check=True,
    )
    agree, answers = 0, []
    for index in range(1500, 1520):
        pixels = " ".join(str(int(v)) for v in digits.data[index])
        line = subprocess.run(
            [str(folder.resolve() / "classify")],
            input=pixels,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        expected = int(np.argmax(model.predict(x[index : index + 1], verbose=0)))
        agree += int(line[0]) == expected
        answers.append(int(line[0]))
    print(f"the C program agrees with model.predict on {agree} of 20 test digits")
    print(f"true digits:     {digits.target[1500:1520].tolist()}")
    print(f"C program says:  {answers}")


if __name__ == "__main__":
    main()
