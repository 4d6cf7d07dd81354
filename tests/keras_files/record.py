"""Record Keras model files for the loaders' tests, in the format of README.md.

For each case: NAME.keras (or NAME.h5, legacy), NAME.input.npy,
NAME.expected.npy (Keras's model.predict) and NAME.json (description, params,
layers). Weights are seeded, non-zero, biases included. The six files without
a `case(...)` below came with the project (../shared/keras_files); this script
records the rest, with a Python that has keras 3.15.1 and tensorflow:

    python -m venv v && v/bin/pip install keras==3.15.1 tensorflow-cpu h5py
    v/bin/python tests/keras_files/record.py tests/keras_files

It also records bad/ models that the tool must refuse (another layer type, a
branching graph, a stateful layer), and checks converted files if asked:

    v/bin/python tests/keras_files/record.py --check-converted DIR

loads every DIR/NAME.keras that `rnn-basics convert` wrote, predicts on
tests/keras_files/NAME.input.npy and compares with NAME.expected.npy and the
recorded parameter count. The files in converted/ were checked so; its
CHECKED.txt is that run's output.
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
from keras import layers  # noqa: E402


def seeded_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in model.get_weights()])


def describe(model, name, fmt, description, x, y):
    rows = []
    for layer in model.layers:
        shape = layer.output.shape if hasattr(layer, "output") else None
        rows.append({
            "name": layer.name,
            "class_name": layer.__class__.__name__,
            "output_shape": list(shape) if shape is not None else None,
            "params": int(layer.count_params()),
        })
    return {
        "file": f"{name}.{fmt}",
        "format": fmt,
        "description": description,
        "total_params": int(model.count_params()),
        "input_shape": list(x.shape),
        "input_dtype": str(x.dtype),
        "expected_shape": list(y.shape),
        "layers": rows,
    }


def case(out, name, build, x, description, fmt="keras", seed=0):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build()
    seeded_weights(model, 1000 + seed)
    path = os.path.join(out, f"{name}.{fmt}")
    if os.path.exists(path):
        os.remove(path)
    model.save(path)
    # Predict with the model as loaded back, as a user of the file would.
    loaded = keras.models.load_model(path)
    y = np.asarray(loaded.predict(x, verbose=0), dtype=np.float32)
    assert np.allclose(y, np.asarray(model.predict(x, verbose=0)), atol=1e-6)
    np.save(os.path.join(out, f"{name}.input.npy"), x)
    np.save(os.path.join(out, f"{name}.expected.npy"), y)
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(describe(model, name, fmt, description, x, y), f, indent=1)
        f.write("\n")
    print(name, y.shape)


def bad(out, name, build):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build()
    os.makedirs(os.path.join(out, "bad"), exist_ok=True)
    path = os.path.join(out, "bad", name)
    if os.path.exists(path):
        os.remove(path)
    model.save(path)
    print("bad/" + name)


def seq(shape, *ls, dtype="float32"):
    return lambda: keras.Sequential([keras.Input(shape=shape, dtype=dtype), *ls()])


def fun(shape, make, dtype="float32"):
    def build():
        inp = keras.Input(shape=shape, dtype=dtype)
        return keras.Model(inp, make(inp))
    return build


def floats(seed, *shape, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def tokens(seed, batch, time, vocab, dtype=np.int32):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, size=(batch, time)).astype(dtype)
    for b in range(batch):
        pad = int(rng.integers(0, time // 2 + 1)) if b else 0
        if pad:
            x[b, time - pad:] = 0
    return x


def padded(seed, batch, time, features):
    x = floats(seed, batch, time, features)
    x[1, -2:, :] = 0.0
    if batch > 2:
        x[2, -3:, :] = 0.0
    return x


def record(out):
    L = layers
    case(out, "gru_reset_after_backwards",
         lambda: keras.Sequential([keras.Input(shape=(6, 3)), L.GRU(4, go_backwards=True), L.Dense(2)]),
         floats(1, 3, 6, 3), "GRU(4, reset_after=True, go_backwards) -> Dense(2)", seed=1)
    case(out, "gru_sequences_no_bias",
         lambda: keras.Sequential([keras.Input(shape=(5, 3)),
                                   L.GRU(4, reset_after=False, use_bias=False, return_sequences=True),
                                   L.GRU(3, activation="relu", recurrent_activation="sigmoid")]),
         floats(2, 2, 5, 3), "GRU(4, reset_after=False, use_bias=False, seq) -> GRU(3, relu)", seed=2)
    case(out, "lstm_backwards_linear",
         lambda: keras.Sequential([keras.Input(shape=(7, 2)),
                                   L.LSTM(5, go_backwards=True, activation="linear", use_bias=False,
                                          return_sequences=True),
                                   L.LSTM(3, unroll=True, recurrent_activation="hard_sigmoid"),
                                   L.Dense(2, activation="tanh", use_bias=False)]),
         floats(3, 3, 7, 2), "LSTM(5, linear, no bias, backwards, seq) -> LSTM(3, unroll, hard_sigmoid) -> Dense(2, tanh, no bias)", seed=3)
    case(out, "simple_rnn_relu_stack",
         lambda: keras.Sequential([keras.Input(shape=(4, 3)),
                                   L.SimpleRNN(6, activation="relu", return_sequences=True),
                                   L.SimpleRNN(4, activation="sigmoid", return_sequences=True),
                                   L.SimpleRNN(2, use_bias=False)]),
         floats(4, 3, 4, 3), "SimpleRNN(6, relu, seq) -> SimpleRNN(4, sigmoid, seq) -> SimpleRNN(2, no bias)", seed=4)
    for mode, inner in [("sum", lambda: L.GRU(3, return_sequences=True)),
                        ("mul", lambda: L.SimpleRNN(4)),
                        ("ave", lambda: L.LSTM(3))]:
        case(out, f"bidirectional_{mode}",
             (lambda inner=inner, mode=mode: keras.Sequential(
                 [keras.Input(shape=(5, 3)), L.Bidirectional(inner(), merge_mode=mode), L.Dense(2)])),
             floats(5, 3, 5, 3), f"Bidirectional({inner().__class__.__name__}, {mode}) -> Dense(2)", seed=5)
    case(out, "masking_lstm",
         lambda: keras.Sequential([keras.Input(shape=(6, 3)), L.Masking(0.0), L.LSTM(4, return_sequences=True),
                                   L.LSTM(3), L.Dense(2)]),
         padded(6, 3, 6, 3), "Masking(0.0) -> LSTM(4, seq) -> LSTM(3) -> Dense(2); padded rows", seed=6)
    case(out, "masking_value_gru_sequences",
         lambda: keras.Sequential([keras.Input(shape=(5, 2)), L.Masking(mask_value=-1.0),
                                   L.GRU(3, return_sequences=True), L.Dense(2)]),
         np.where(padded(7, 3, 5, 2) == 0.0, -1.0, padded(7, 3, 5, 2)).astype(np.float32),
         "Masking(-1.0) -> GRU(3, seq) -> Dense(2); masked steps output as Keras does", seed=7)
    case(out, "embedding_no_mask_gru",
         lambda: keras.Sequential([keras.Input(shape=(None,), dtype="int32"), L.Embedding(12, 4),
                                   L.GRU(5), L.Dense(3, activation="softmax")]),
         tokens(8, 4, 7, 12, dtype=np.int64), "Embedding(12, 4) -> GRU(5) -> Dense(3, softmax); int64 ids, zeros not masked",
         seed=8)
    case(out, "embedding_mask_bidirectional",
         lambda: keras.Sequential([keras.Input(shape=(None,), dtype="int32"), L.Embedding(15, 5, mask_zero=True),
                                   L.Bidirectional(L.LSTM(3, return_sequences=True)),
                                   L.TimeDistributed(L.Dense(2))]),
         tokens(9, 3, 6, 15), "Embedding(15, 5, mask_zero) -> Bidirectional(LSTM(3, seq)) -> TimeDistributed(Dense(2))",
         seed=9)
    case(out, "dropout_layers",
         lambda: keras.Sequential([keras.Input(shape=(6, 3)), L.Dropout(0.3),
                                   L.LSTM(4, dropout=0.2, recurrent_dropout=0.1, return_sequences=True),
                                   L.Dropout(0.5), L.GRU(3, dropout=0.1, recurrent_dropout=0.2),
                                   L.Dropout(0.25), L.Dense(2)]),
         floats(10, 3, 6, 3), "Dropout -> LSTM(dropout, recurrent_dropout) -> Dropout -> GRU(dropout) -> Dropout -> Dense; identity at inference",
         seed=10)
    case(out, "bidirectional_dropout",
         lambda: keras.Sequential([keras.Input(shape=(5, 3)),
                                   L.Bidirectional(L.GRU(3, dropout=0.2, recurrent_dropout=0.3, seed=4,
                                                         return_sequences=True), merge_mode="sum"),
                                   L.SimpleRNN(2, dropout=0.1, recurrent_dropout=0.15, seed=9), L.Dense(2)]),
         floats(15, 3, 5, 3), "Bidirectional(GRU(3, dropout, recurrent_dropout, seed), sum) -> SimpleRNN(2, dropout, recurrent_dropout) -> Dense(2); identity at inference",
         seed=15)
    case(out, "time_distributed_dense",
         lambda: keras.Sequential([keras.Input(shape=(4, 3)), L.SimpleRNN(5, return_sequences=True),
                                   L.TimeDistributed(L.Dense(3, activation="relu")), L.Dense(2)]),
         floats(11, 2, 4, 3), "SimpleRNN(5, seq) -> TimeDistributed(Dense(3, relu)) -> Dense(2) on 3-D", seed=11)
    case(out, "functional_embedding_mask",
         fun((None,), lambda i: L.Dense(2)(L.GRU(4)(L.Embedding(10, 3, mask_zero=True)(i))), dtype="int32"),
         tokens(12, 4, 6, 10), "Functional: Input -> Embedding(10, 3, mask_zero) -> GRU(4) -> Dense(2)", seed=12)
    case(out, "functional_masking_bidirectional",
         fun((6, 3), lambda i: L.Dense(2)(L.Bidirectional(L.GRU(3, reset_after=False), merge_mode="concat")(
             L.Masking()(i)))),
         padded(13, 3, 6, 3), "Functional: Input -> Masking -> Bidirectional(GRU(3, reset_after=False)) -> Dense(2)",
         seed=13)
    case(out, "functional_lstm_stack",
         fun((5, 4), lambda i: L.Dense(3, activation="sigmoid")(L.LSTM(3)(L.Dropout(0.2)(
             L.LSTM(4, return_sequences=True)(i))))),
         floats(14, 2, 5, 4, dtype=np.float64), "Functional: LSTM(4, seq) -> Dropout -> LSTM(3) -> Dense(3, sigmoid); float64 input",
         seed=14)
    # Legacy full-model .h5 files, of several kinds.
    case(out, "legacy_lstm_bidirectional",
         lambda: keras.Sequential([keras.Input(shape=(5, 3)), L.Bidirectional(L.LSTM(3, return_sequences=True),
                                                                            merge_mode="sum"),
                                   L.LSTM(2), L.Dense(2, use_bias=False)]),
         floats(15, 3, 5, 3), "legacy .h5: Bidirectional(LSTM(3, seq), sum) -> LSTM(2) -> Dense(2, no bias)",
         fmt="h5", seed=15)
    case(out, "legacy_embedding_simple_rnn",
         lambda: keras.Sequential([keras.Input(shape=(None,), dtype="int32"), L.Embedding(9, 3, mask_zero=True),
                                   L.SimpleRNN(4, return_sequences=True), L.Dropout(0.1),
                                   L.TimeDistributed(L.Dense(2))]),
         tokens(16, 3, 5, 9), "legacy .h5: Embedding(9, 3, mask_zero) -> SimpleRNN(4, seq) -> Dropout -> TimeDistributed(Dense(2))",
         fmt="h5", seed=16)
    # (Keras 3.15.1 cannot load back a legacy Functional file with a mask:
    # its NotEqual op node is an unknown layer there.)
    case(out, "legacy_functional_gru",
         fun((6, 2), lambda i: L.Dense(1)(L.GRU(3, reset_after=False)(L.Dropout(0.1)(i)))),
         floats(17, 3, 6, 2), "legacy .h5: Functional Input -> Dropout -> GRU(3, reset_after=False) -> Dense(1)",
         fmt="h5", seed=17)

    # Models the tool must refuse.
    bad(out, "conv1d.keras", lambda: keras.Sequential([keras.Input(shape=(6, 3)), L.Conv1D(2, 3), L.LSTM(2)]))

    def branching():
        i = keras.Input(shape=(5, 3))
        return keras.Model(i, L.Add()([L.LSTM(2)(i), L.GRU(2)(i)]))
    bad(out, "branching.keras", branching)
    bad(out, "branching.h5", branching)
    bad(out, "stateful.keras",
        lambda: keras.Sequential([keras.Input(batch_shape=(2, 5, 3)), L.LSTM(2, stateful=True)]))
    bad(out, "gelu_activation.keras",
        lambda: keras.Sequential([keras.Input(shape=(5, 3)), L.LSTM(2, activation="gelu")]))


def check_converted(folder):
    here = os.path.dirname(os.path.abspath(__file__))
    worst = 0.0
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".keras"):
            continue
        name = f[:-len(".keras")]
        model = keras.models.load_model(os.path.join(folder, f))
        x = np.load(os.path.join(here, f"{name}.input.npy"))
        want = np.load(os.path.join(here, f"{name}.expected.npy"))
        got = np.asarray(model.predict(x, verbose=0), dtype=np.float32)
        diff = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
        with open(os.path.join(here, f"{name}.json")) as f:
            params = json.load(f)["total_params"]
        if model.count_params() != params:
            diff = float("inf")
        worst = max(worst, diff)
        print(f"{name}: largest difference {diff:.3g}, params {model.count_params()} (recorded {params})"
              + ("" if got.shape == want.shape else f" shape {got.shape} != {want.shape}"))
    print("worst", worst)
    sys.exit(0 if worst <= 1e-5 else 1)


if __name__ == "__main__":
    if sys.argv[1] == "--check-converted":
        check_converted(sys.argv[2])
    else:
        record(sys.argv[1])
