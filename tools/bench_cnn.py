"""Workloads W5 and W7 of ``tools/bench.py``: convolutional networks.

W5 (training): a CIFAR-style network, Conv2D(32, 3, same, relu) ->
BatchNormalization -> Conv2D(32, 3, same, relu) -> MaxPooling2D(2) ->
Dropout(0.25) -> Conv2D(64, 3, same, relu) -> BatchNormalization ->
Conv2D(64, 3, same, relu) -> MaxPooling2D(2) -> Dropout(0.25) -> Flatten ->
Dense(128, relu) -> Dropout(0.5) -> Dense(10, softmax), Adam, batch 64, on
4,096 seeded 32x32x3 images. ``w5_fit_b64`` is one epoch after a warm-up
epoch; ``w5_first_fit`` the first ``fit`` (kgraph: with an empty kernel
cache, compiling included).

W7 (inference): MobileNetV2 at 96x96, ResNet50 and VGG16 at 224x224 (random
weights, the layer layout of Keras's applications), ``predict_on_batch`` of
1 and of 32 images (PyTorch: the module called under ``inference_mode``),
medians of the calls (one image: every call in ``B1_SECONDS``).
For kgraph ``w7_resnet50_cold`` is the first ``predict_on_batch`` of a
fresh process with an empty kernel cache and ``w7_resnet50_cached`` the
same with the cache filled (tracing, the passes, compiling or loading,
running; not importing kgraph or building the model).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from bench_w6 import median_of
from bench_w6 import timed

SAMPLES = 4096
BATCH = 64
CLASSES = 10
W5_METRICS = ("w5_fit_b64", "w5_first_fit")
W7_METRICS = (
    "w7_mobilenet_b1",
    "w7_mobilenet_b32",
    "w7_resnet50_b1",
    "w7_resnet50_b32",
    "w7_resnet50_cold",
    "w7_resnet50_cached",
    "w7_vgg16_b1",
    "w7_vgg16_b32",
)
SIZES = {"mobilenet": 96, "resnet50": 224, "vgg16": 224}


def make_images() -> tuple:
    """Seeded 32x32x3 images and one-hot labels for W5."""
    import numpy as np

    rng = np.random.default_rng(5)
    x = rng.random((SAMPLES, 32, 32, 3), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, SAMPLES)]
    return x, y


def _inputs(size: int, batch: int):
    import numpy as np

    rng = np.random.default_rng(7)
    return rng.uniform(-1, 1, (batch, size, size, 3)).astype(np.float32)


# Seconds of calls behind a batch-1 median: a shared machine's speed changes
# from one second to the next, and ten calls of ResNet50 (half a second)
# can fall in one slow stretch.
B1_SECONDS = 4.0


def _latencies(predict: Callable[[object], object], name: str, repeats: int) -> dict:
    """``predict_on_batch`` of 1 and 32 images: medians (for 1 image, of
    every call in ``B1_SECONDS``, at least ``max(repeats, 10)``)."""
    size = SIZES[name]
    results = {}
    for batch in (1, 32):
        x = _inputs(size, batch)
        predict(x)
        if batch == 1:
            results[f"w7_{name}_b1"] = _median_for(
                lambda a=x: predict(a), max(repeats, 10), B1_SECONDS
            )
        else:
            results[f"w7_{name}_b{batch}"] = median_of(lambda a=x: predict(a), repeats)
    return results


def _median_for(fn: Callable[[], object], calls: int, seconds: float) -> float:
    """The median time of calls of ``fn``: at least ``calls`` of them, and
    as many more as fit in ``seconds``."""
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < calls or time.perf_counter() < deadline:
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# -- kgraph -----------------------------------------------------------------------


def w5_keras_like(api: object) -> object:
    """The W5 network built with a Keras-like API (kgraph or Keras)."""
    layers = api.layers
    model = api.Sequential(
        [
            api.Input((32, 32, 3)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def _w5_epochs(model: object, x: object, y: object, repeats: int) -> dict:
    """The first ``fit`` and the median epoch of a Keras-like W5 model."""

    def epoch() -> None:
        model.fit(x, y, batch_size=BATCH, verbose=0)

    return {"w5_first_fit": timed(epoch), "w5_fit_b64": median_of(epoch, repeats)}


def _w7_keras_like(api: object, name: str) -> object:
    size = SIZES[name]
    if name == "mobilenet":
        return api.applications.MobileNetV2(weights=None, input_shape=(size, size, 3))
    if name == "vgg16":
        return api.applications.VGG16(weights=None, input_shape=(size, size, 3))
    return api.applications.ResNet50(weights=None, input_shape=(size, size, 3))


def bench_kgraph(repeats: int) -> dict:
    """kgraph's W5 and W7 figures."""
    cache = tempfile.mkdtemp(prefix="kgraph-cnn-")
    os.environ["KGRAPH_CACHE_DIR"] = cache
    import kgraph as kg

    results = {}
    x, y = make_images()
    kg.utils.clear_session()
    kg.utils.set_random_seed(0)
    results.update(_w5_epochs(w5_keras_like(kg), x, y, repeats))
    for name in SIZES:
        kg.utils.clear_session()
        kg.utils.set_random_seed(0)
        net = _w7_keras_like(kg, name)
        results.update(_latencies(net.predict_on_batch, name, repeats))
    cold_cache = tempfile.mkdtemp(prefix="kgraph-cnn-cold-")
    results["w7_resnet50_cold"] = _fresh_first_predict(cold_cache)
    results["w7_resnet50_cached"] = _fresh_first_predict(cold_cache)
    return results


_FIRST_PREDICT = """
import time
import numpy as np
import kgraph as kg
model = kg.applications.ResNet50(weights=None)
started = time.perf_counter()
model.predict_on_batch(np.zeros((1, 224, 224, 3), np.float32))
print(time.perf_counter() - started)
"""


def _fresh_first_predict(cache: str) -> float:
    """Seconds of ResNet50's first ``predict_on_batch`` (tracing, the
    passes, compiling or loading the code, running it) in a new process
    whose kernel cache is ``cache``."""
    env = dict(os.environ, KGRAPH_CACHE_DIR=cache)
    output = subprocess.run(
        [sys.executable, "-c", _FIRST_PREDICT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(output.stdout.strip().splitlines()[-1])


# -- PyTorch ------------------------------------------------------------------------


def bench_torch(repeats: int) -> dict:
    """PyTorch's W5 and W7 figures (eager, NCHW)."""
    import torch

    results = {}
    x_np, y_np = make_images()
    x = torch.from_numpy(x_np).permute(0, 3, 1, 2).contiguous()
    labels = torch.from_numpy(y_np.argmax(1))
    torch.manual_seed(0)
    model = _torch_w5(torch.nn)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch() -> None:
        model.train()
        order = torch.randperm(SAMPLES)
        for start in range(0, SAMPLES, BATCH):
            rows = order[start : start + BATCH]
            optimizer.zero_grad()
            loss_fn(model(x[rows]), labels[rows]).backward()
            optimizer.step()

    results["w5_first_fit"] = timed(epoch)
    results["w5_fit_b64"] = median_of(epoch, repeats)
    for name, build in (
        ("mobilenet", _torch_mobilenet_v2),
        ("resnet50", _torch_resnet50),
        ("vgg16", _torch_vgg16),
    ):
        net = build(torch.nn).eval()

        def predict(images, n=net):
            with torch.inference_mode():
                return n(torch.from_numpy(images).permute(0, 3, 1, 2)).numpy()

        results.update(_latencies(predict, name, repeats))
    return results


def _torch_w5(nn: object) -> object:
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(64, eps=1e-3, momentum=0.01),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, CLASSES),
    )


def _conv_bn(nn: object, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1):
    return [
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=1e-3),
    ]


def _torch_mobilenet_v2(nn: object) -> object:
    """MobileNetV2 (width 1.0), as Keras builds it, in PyTorch modules."""
    import torch

    class Inverted(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
            super().__init__()
            hidden = cin * expand
            body = []
            if expand != 1:
                body += [*_conv_bn(nn, cin, hidden, 1), nn.ReLU6()]
            body += [*_conv_bn(nn, hidden, hidden, 3, stride, hidden), nn.ReLU6()]
            body += _conv_bn(nn, hidden, cout, 1)
            self.body = nn.Sequential(*body)
            self.residual = stride == 1 and cin == cout

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.body(x)
            return x + y if self.residual else y

    settings = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]
    layers = [*_conv_bn(nn, 3, 32, 3, 2), nn.ReLU6()]
    cin = 32
    for expand, cout, repeat, stride in settings:
        for index in range(repeat):
            layers.append(Inverted(cin, cout, stride if index == 0 else 1, expand))
            cin = cout
    layers += [*_conv_bn(nn, cin, 1280, 1), nn.ReLU6()]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1000)]
    layers.append(nn.Softmax(dim=1))
    return nn.Sequential(*layers)


def _torch_resnet50(nn: object) -> object:
    """ResNet50 (v1, Keras's layout: the stride on the first 1x1) in
    PyTorch modules."""
    import torch

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, width: int, stride: int, project: bool) -> None:
            super().__init__()
            self.body = nn.Sequential(
                *_conv_bn(nn, cin, width, 1, stride),
                nn.ReLU(),
                *_conv_bn(nn, width, width, 3),
                nn.ReLU(),
                *_conv_bn(nn, width, width * 4, 1),
            )
            self.shortcut = (
                nn.Sequential(*_conv_bn(nn, cin, width * 4, 1, stride))
                if project
                else nn.Identity()
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.body(x) + self.shortcut(x))

    layers = [
        nn.Conv2d(3, 64, 7, 2, 3),
        nn.BatchNorm2d(64, eps=1.001e-5),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    cin = 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for index in range(blocks):
            layers.append(
                Bottleneck(cin, width, stride if index == 0 else 1, index == 0)
            )
            cin = width * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000)]
    layers.append(nn.Softmax(dim=1))
    return nn.Sequential(*layers)


def _torch_vgg16(nn: object) -> object:
    """VGG16 (with its three dense layers) in PyTorch modules."""
    layers, cin = [], 3
    for width, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(convs):
            layers += [nn.Conv2d(cin, width, 3, padding=1), nn.ReLU()]
            cin = width
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU()]
    layers += [nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000)]
    layers.append(nn.Softmax(dim=1))
    return nn.Sequential(*layers)


# -- Keras --------------------------------------------------------------------------


def bench_keras(repeats: int) -> dict:
    """Keras's W5 and W7 figures on its configured backend."""
    import keras

    results = {}
    x, y = make_images()
    keras.utils.set_random_seed(0)
    results.update(_w5_epochs(w5_keras_like(keras), x, y, repeats))
    for name in SIZES:
        keras.utils.clear_session()
        net = _w7_keras_like(keras, name)
        results.update(_latencies(net.predict_on_batch, name, repeats))
    return results
