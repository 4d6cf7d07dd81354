"""Record TensorFlow's gradients for Embedding(mask_zero) -> LSTM -> Dense,
for tests/train_new_layers.rs (the test does not need TensorFlow).

    python tests/keras_files/gradients/record.py tests/keras_files/gradients

writes embedding_mask_lstm.json: the weights in model.get_weights() order,
the token ids (0 is padding, inside and at the end of a sequence), a
cotangent, the output, and the gradients of sum(output * cotangent) with
respect to every weight, as tf.GradientTape gives them (the Embedding's
IndexedSlices made dense). Recorded with keras 3.15.1, tensorflow-cpu 2.21.
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402


def main(out_dir):
    rng = np.random.default_rng(19)
    model = keras.Sequential(
        [
            keras.Input(shape=(6,), dtype="int32"),
            layers.Embedding(7, 3, mask_zero=True),
            layers.LSTM(4, return_sequences=True),
            layers.Dense(2, activation="tanh"),
        ]
    )
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    ids = np.array(
        [[3, 1, 4, 0, 0, 0], [2, 0, 5, 6, 1, 0], [6, 6, 2, 3, 1, 4]], dtype=np.int32
    )
    out_shape = (3, 6, 2)
    cot = rng.normal(0, 1, out_shape).astype(np.float32)
    with tf.GradientTape() as tape:
        out = model(ids, training=True)
        loss = tf.reduce_sum(out * cot)
    grads = tape.gradient(loss, model.trainable_weights)
    grads = [tf.convert_to_tensor(g).numpy() for g in grads]
    names = [w.path for w in model.trainable_weights]
    case = {
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "names": names,
        "weights": [{"shape": list(w.shape), "data": w.ravel().tolist()} for w in weights],
        "ids": ids.tolist(),
        "cotangent": {"shape": list(cot.shape), "data": cot.ravel().tolist()},
        "output": {"shape": list(out.shape), "data": np.asarray(out).ravel().tolist()},
        "gradients": [{"shape": list(g.shape), "data": g.ravel().tolist()} for g in grads],
    }
    with open(os.path.join(out_dir, "embedding_mask_lstm.json"), "w") as f:
        json.dump(case, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
