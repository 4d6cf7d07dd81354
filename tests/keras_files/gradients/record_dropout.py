"""Record Keras's training forward pass and TensorFlow's gradients for
recurrent layers with `dropout` and `recurrent_dropout`, and for the
`Dropout` layer, for tests/train_dropout.rs (the test does not need
TensorFlow).

    python tests/keras_files/gradients/record_dropout.py tests/keras_files/gradients

Keras draws its dropout masks at random; to compare numbers, this script
draws them itself (numpy, seeded) and hands them to the cell in place of
Keras's own (`cell.get_dropout_mask` and `cell.get_recurrent_dropout_mask`
return them), in the structure Keras uses: with `recurrent_dropout`, one
input mask and one recurrent mask per gate (Keras's implementation 1); with
`dropout` alone, one input mask. Each mask is 0 or 1 / (1 - rate), as
`keras.random.dropout` makes it. The layer is then called with
`training=True` under a GradientTape, and the gradients of
sum(output * cotangent) with respect to every weight and the input are
written with the masks, the weights, the input and the output to
recurrent_dropout.json.

The `Dropout` layer draws its own mask (Keras's, seeded); dropout_layer.json
holds its input, its training output, the mask read back from the output
(checked to give the output exactly), and TensorFlow's input gradient.
Recorded with keras 3.15.1, tensorflow-cpu 2.21.
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def arr(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def masks(rng, rate, count, shape):
    if rate == 0.0:
        return []
    return [
        ((rng.random(shape) >= rate) / (1.0 - rate)).astype(np.float32)
        for _ in range(count)
    ]


def build(cfg):
    kw = dict(
        dropout=cfg["dropout"],
        recurrent_dropout=cfg["recurrent_dropout"],
        return_sequences=cfg.get("return_sequences", False),
        go_backwards=cfg.get("go_backwards", False),
    )
    if cfg["type"] == "SimpleRNN":
        return layers.SimpleRNN(cfg["units"], **kw)
    if cfg["type"] == "LSTM":
        return layers.LSTM(cfg["units"], **kw)
    return layers.GRU(cfg["units"], reset_after=cfg.get("reset_after", True), **kw)


def record(rng, name, cfg, batch, time, features, mask=None):
    layer = build(cfg)
    layer.build((batch, time, features))
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    x = rng.normal(0, 1, (batch, time, features)).astype(np.float32)
    units = cfg["units"]
    per_gate = cfg["recurrent_dropout"] > 0 and cfg["type"] != "SimpleRNN"
    count = GATES[cfg["type"]] if per_gate else 1
    input_masks = masks(rng, cfg["dropout"], count, (batch, features))
    recurrent_masks = masks(rng, cfg["recurrent_dropout"], count, (batch, units))

    def keras_masks(ms):
        if not ms:
            return None
        ts = [tf.constant(m) for m in ms]
        return ts if per_gate else ts[0]

    cell = layer.cell
    cell.get_dropout_mask = lambda _step_input: keras_masks(input_masks)
    cell.get_recurrent_dropout_mask = lambda _step_input: keras_masks(recurrent_masks)

    xv = tf.Variable(x)
    kmask = None if mask is None else tf.constant(np.asarray(mask, dtype=bool))
    with tf.GradientTape() as tape:
        out = layer(xv, mask=kmask, training=True)
        cot = rng.normal(0, 1, tuple(out.shape)).astype(np.float32)
        loss = tf.reduce_sum(out * cot)
    grads = tape.gradient(loss, layer.trainable_weights + [xv])
    names = [w.path.split("/")[-1] for w in layer.trainable_weights] + ["input"]
    case = {
        "name": name,
        "layer": cfg,
        "weights": [dict(name=w.path.split("/")[-1], **arr(v)) for w, v in zip(layer.weights, weights)],
        "input": arr(x),
        "input_masks": [arr(m) for m in input_masks],
        "recurrent_masks": [arr(m) for m in recurrent_masks],
        "cotangent": arr(cot),
        "output": arr(out),
        "gradients": [dict(name=n, **arr(tf.convert_to_tensor(g))) for n, g in zip(names, grads)],
    }
    if mask is not None:
        case["mask"] = {"shape": [batch, time], "data": [int(v) for v in np.asarray(mask).reshape(-1)]}
    return case


def record_dropout_layer(rng, rate):
    layer = layers.Dropout(rate, seed=7)
    x = rng.normal(0, 1, (3, 5, 4)).astype(np.float32)
    cot = rng.normal(0, 1, x.shape).astype(np.float32)
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = layer(xv, training=True)
        loss = tf.reduce_sum(y * cot)
    grad = tape.gradient(loss, xv).numpy()
    y = y.numpy()
    scale = np.float32(1.0) / np.float32(1.0 - rate)
    mask = np.where(y != 0, scale, np.float32(0)).astype(np.float32)
    assert np.array_equal(x * mask, y), "Keras's output is x times the mask"
    return {"rate": rate, "input": arr(x), "output": arr(y), "mask": arr(mask),
            "cotangent": arr(cot), "input_gradient": arr(grad)}


def main(out_dir):
    rng = np.random.default_rng(2026_12_03)
    padding = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]
    cases = [
        record(rng, "simple_rnn_both", {"type": "SimpleRNN", "units": 4, "dropout": 0.3, "recurrent_dropout": 0.4, "return_sequences": True}, 3, 5, 3),
        record(rng, "lstm_both_sequences", {"type": "LSTM", "units": 4, "dropout": 0.25, "recurrent_dropout": 0.3, "return_sequences": True}, 3, 5, 3),
        record(rng, "lstm_dropout_only", {"type": "LSTM", "units": 3, "dropout": 0.3, "recurrent_dropout": 0.0}, 4, 6, 5),
        record(rng, "lstm_recurrent_only_mask", {"type": "LSTM", "units": 3, "dropout": 0.0, "recurrent_dropout": 0.5, "return_sequences": True}, 3, 5, 2, mask=padding),
        record(rng, "gru_both_sequences", {"type": "GRU", "units": 4, "dropout": 0.2, "recurrent_dropout": 0.35, "return_sequences": True}, 3, 5, 3),
        record(rng, "gru_reset_before_backwards", {"type": "GRU", "units": 3, "dropout": 0.3, "recurrent_dropout": 0.3, "reset_after": False, "go_backwards": True}, 3, 6, 4),
        record(rng, "gru_dropout_only_mask", {"type": "GRU", "units": 3, "dropout": 0.4, "recurrent_dropout": 0.0, "return_sequences": True}, 3, 5, 4, mask=padding),
    ]
    doc = {"keras": keras.__version__, "tensorflow": tf.__version__, "cases": cases}
    with open(os.path.join(out_dir, "recurrent_dropout.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    doc = {"keras": keras.__version__, "tensorflow": tf.__version__,
           "dropout": record_dropout_layer(rng, 0.4)}
    with open(os.path.join(out_dir, "dropout_layer.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
