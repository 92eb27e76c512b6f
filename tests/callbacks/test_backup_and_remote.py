"""`BackupAndRestore` resumes an interrupted `fit`; `RemoteMonitor` posts
each epoch's logs."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler
from http.server import HTTPServer

import numpy as np
import pytest

import kgraph as kg


def _model():
    kg.utils.set_random_seed(3)
    model = kg.Sequential(
        [kg.Input(shape=(4,)), kg.layers.Dense(3), kg.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 1)).astype(
        "float32"
    )


class Interrupt(kg.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError("interrupted")


def test_an_interrupted_fit_resumes_where_it_stopped(tmp_path, backend):
    pytest.importorskip("h5py")
    x, y = _data()
    backup = tmp_path / "backup"
    straight = _model()
    straight.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)

    model = _model()
    callback = kg.callbacks.BackupAndRestore(backup_dir=backup)
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(
            x, y, epochs=4, batch_size=16, shuffle=False, verbose=0,
            callbacks=[callback, Interrupt(2)],
        )  # fmt: skip
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 2

    resumed = _model()
    history = resumed.fit(
        x, y, epochs=4, batch_size=16, shuffle=False, verbose=0,
        callbacks=[kg.callbacks.BackupAndRestore(backup_dir=backup)],
    )  # fmt: skip
    assert history.epoch == [2, 3]
    assert not backup.exists()
    for got, want in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_backup_arguments_are_checked():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        kg.callbacks.BackupAndRestore(backup_dir="")
    with pytest.raises(ValueError, match="Received: save_freq=often"):
        kg.callbacks.BackupAndRestore(backup_dir="b", save_freq="often")


class _Recorder(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length).decode()
        type(self).received.append((self.path, self.headers.get("Content-Type"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_posts_the_logs_of_each_epoch(send_as_json):
    _Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        x, y = _data()
        monitor = kg.callbacks.RemoteMonitor(
            root=f"http://127.0.0.1:{server.server_port}", send_as_json=send_as_json
        )
        _model().fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[monitor])
    finally:
        server.shutdown()
        server.server_close()
    assert [path for path, _, _ in _Recorder.received] == ["/publish/epoch/end/"] * 2
    _, content_type, body = _Recorder.received[1]
    if send_as_json:
        assert content_type == "application/json"
        sent = json.loads(body)
    else:
        sent = json.loads(urllib.parse.parse_qs(body)["data"][0])
    assert sent["epoch"] == 1 and isinstance(sent["loss"], float)


def test_remote_monitor_warns_when_the_server_is_away():
    monitor = kg.callbacks.RemoteMonitor(root="http://127.0.0.1:9")
    with pytest.warns(RuntimeWarning, match="Could not reach RemoteMonitor"):
        monitor.on_epoch_end(0, {"loss": 1.0})


def test_swap_ema_weights_evaluates_with_the_averages(backend):
    x, y = _data()
    kg.utils.set_random_seed(3)
    model = kg.Sequential([kg.Input(shape=(4,)), kg.layers.Dense(1)])
    model.compile(
        optimizer=kg.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), loss="mse"
    )
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    # fit ends with the averages in the weights (Keras's finalize): move away.
    model.set_weights([w + 0.5 for w in model.get_weights()])
    weights = [w.copy() for w in model.get_weights()]
    averages = [
        model.optimizer.slots(v)["average"].numpy().copy()
        for v in model.trainable_variables
    ]
    assert any(not np.allclose(a, w) for a, w in zip(averages, weights, strict=True))
    swap = kg.callbacks.SwapEMAWeights()
    loss = model.evaluate(x, y, verbose=0, callbacks=[swap])
    # The averages evaluated, then the weights came back.
    model.set_weights(averages)
    assert np.isclose(loss, model.evaluate(x, y, verbose=0), rtol=1e-5)
    model.set_weights(weights)
    predicted = model.predict(x, verbose=0, callbacks=[swap])
    np.testing.assert_allclose(
        predicted, x @ averages[0] + averages[1], rtol=1e-4, atol=1e-5
    )
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)


def test_swap_ema_weights_needs_moving_averages():
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="use_ema=True"):
        model.evaluate(x, y, verbose=0, callbacks=[kg.callbacks.SwapEMAWeights()])
