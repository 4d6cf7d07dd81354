"""Record legacy .h5 files written by Keras 2 (tf_keras), in the format of
README.md: attributes stored as fixed-length byte strings, weight names with
`:0`, Keras 2's config format (inbound_nodes as lists, batch_input_shape).

    v/bin/pip install "tf-keras~=2.21.0"
    v/bin/python tests/keras_files/record_keras2.py tests/keras_files
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tf_keras as keras  # noqa: E402
from tf_keras import layers as L  # noqa: E402


def save(out, name, model, x, description, seed):
    rng = np.random.default_rng(2000 + seed)
    model.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in model.get_weights()])
    path = os.path.join(out, f"{name}.h5")
    model.save(path, save_format="h5")
    y = np.asarray(keras.models.load_model(path).predict(x, verbose=0), dtype=np.float32)
    np.save(os.path.join(out, f"{name}.input.npy"), x)
    np.save(os.path.join(out, f"{name}.expected.npy"), y)
    rows = [{"name": l.name, "class_name": l.__class__.__name__,
             "output_shape": list(l.output_shape), "params": int(l.count_params())} for l in model.layers]
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump({"file": f"{name}.h5", "format": "h5", "description": description,
                   "total_params": int(model.count_params()), "input_shape": list(x.shape),
                   "input_dtype": str(x.dtype), "expected_shape": list(y.shape), "layers": rows}, f, indent=1)
        f.write("\n")
    print(name, y.shape)


def main(out):
    rng = np.random.default_rng(7)
    keras.utils.set_random_seed(0)
    m = keras.Sequential([L.Embedding(11, 4, mask_zero=True, input_shape=(None,)),
                          L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="ave"),
                          L.LSTM(3), L.Dense(2, activation="softmax")])
    x = rng.integers(1, 11, size=(3, 6)).astype(np.int32)
    x[1, 4:] = 0
    x[2, 2:] = 0
    save(out, "keras2_embedding_bidirectional", m, x,
         "legacy .h5 by Keras 2 (tf_keras 2.21): Embedding(mask_zero) -> Bidirectional(GRU, ave, seq) -> LSTM -> Dense(softmax)", 1)
    keras.backend.clear_session()
    i = keras.Input(shape=(5, 3))
    h = L.Masking()(i)
    h = L.SimpleRNN(4, return_sequences=True)(h)
    h = L.TimeDistributed(L.Dense(2))(h)
    m = keras.Model(i, h)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    x[1, 3:] = 0
    save(out, "keras2_functional_masking", m, x,
         "legacy .h5 by Keras 2 (tf_keras 2.21): Functional Masking -> SimpleRNN(seq) -> TimeDistributed(Dense)", 2)


    # Keras 2's hard_sigmoid is not Keras 3's: the tool must refuse it.
    keras.backend.clear_session()
    m = keras.Sequential([L.LSTM(2, recurrent_activation="hard_sigmoid", input_shape=(4, 3))])
    os.makedirs(os.path.join(out, "bad"), exist_ok=True)
    m.save(os.path.join(out, "bad", "keras2_hard_sigmoid.h5"), save_format="h5")
    print("bad/keras2_hard_sigmoid.h5")


if __name__ == "__main__":
    main(sys.argv[1])
