"""Keras 3's recurrences transcribed in NumPy (float64): the oracle of the
recurrent-layer tests. Weights are in Keras's layout (gates ``i, f, c, o``
for the LSTM, ``z, r, h`` for the GRU)."""

import numpy as np


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _steps(x, go_backwards):
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    return [x[:, t, :] for t in order]


def simple_rnn_reference(x, kernel, recurrent_kernel, bias, go_backwards=False):
    h = np.zeros((x.shape[0], kernel.shape[1]))
    outputs = []
    for x_t in _steps(x, go_backwards):
        h = np.tanh(x_t @ kernel + bias + h @ recurrent_kernel)
        outputs.append(h)
    return np.stack(outputs, axis=1), [h]


def lstm_reference(x, kernel, recurrent_kernel, bias, go_backwards=False):
    units = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    outputs = []
    for x_t in _steps(x, go_backwards):
        z = x_t @ kernel + h @ recurrent_kernel + bias
        z0, z1, z2, z3 = np.split(z, 4, axis=-1)
        i, f, o = _sigmoid(z0), _sigmoid(z1), _sigmoid(z3)
        c = f * c + i * np.tanh(z2)
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), [h, c]


def gru_reference(x, kernel, recurrent_kernel, bias, reset_after=True):
    units = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], units))
    outputs = []
    for x_t in _steps(x, False):
        if reset_after:
            matrix_x = x_t @ kernel + bias[0]
            inner = h @ recurrent_kernel + bias[1]
            x_z, x_r, x_h = np.split(matrix_x, 3, axis=-1)
            r_z, r_r, r_h = np.split(inner, 3, axis=-1)
            z = _sigmoid(x_z + r_z)
            r = _sigmoid(x_r + r_r)
            hh = np.tanh(x_h + r * r_h)
        else:
            matrix_x = x_t @ kernel + bias
            x_z, x_r, x_h = np.split(matrix_x, 3, axis=-1)
            inner = h @ recurrent_kernel[:, : 2 * units]
            z = _sigmoid(x_z + inner[:, :units])
            r = _sigmoid(x_r + inner[:, units:])
            hh = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2 * units :])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, axis=1), [h]
