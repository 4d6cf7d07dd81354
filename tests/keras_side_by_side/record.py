# Records the Keras side of the book's side by side (chapters 1-12).
#
# Each section below is a cell of the course's notebooks (verbatim where the
# notebook has one; in its style where it has none), run on the weights the
# lesson uses instead of a fresh random draw. It writes
#
#   chNN.txt    what the cell printed, shown in chapter NN
#   keras.json  the arrays Keras returned, in full, for tests/keras_side_by_side.rs
#
# from weights.json, which `BLESS=1 cargo test --test keras_side_by_side`
# writes from the lessons. Run it from the repository's root:
#
#   pip install keras==3.15.1 tensorflow-cpu==2.21.0
#   python tests/keras_side_by_side/record.py
#
# The ANCHOR lines mark what each chapter shows.

import io
import json
import os
import sys
import textwrap

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import Sequential, layers  # noqa: E402
from keras.layers import GRU, LSTM, Bidirectional, Dense, SimpleRNN  # noqa: E402

TF_VERSION = tf.__version__
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "weights.json")) as f:
    WEIGHTS = json.load(f)
ARRAYS = {}
PRINTED = {}


def lesson(chapter, *names, dtype=np.float32):
    """The lesson's arrays, by name, from weights.json."""
    out = []
    for name in names:
        w = WEIGHTS[chapter][name]
        out.append(np.array(w["data"], dtype=dtype).reshape(w["shape"]))
    return out[0] if len(out) == 1 else out


RNN = ("kernel", "recurrent_kernel", "bias")


def use_lesson_weights(layer, chapter, shape, names=RNN):
    """Builds `layer` for inputs of `shape` and gives it the lesson's weights."""
    layer.build(shape)
    layer.set_weights(list(lesson(chapter, *names)))


def record(chapter, name, value):
    """Keeps what Keras returned, for the Rust test."""
    ARRAYS.setdefault(chapter, {})[name] = value


def as_json(value):
    if value is None:
        return "null"
    if isinstance(value, (str, int)):
        return json.dumps(value)
    if isinstance(value, dict):
        items = ", ".join(f'"{k}": {as_json(v)}' for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(as_json(v) for v in value) + "]"
    a = np.asarray(value)
    if a.dtype == np.float32:
        data = ", ".join(str(v) for v in a.ravel())
    else:
        data = ", ".join(repr(float(v)) for v in a.ravel())
    shape = ", ".join(str(d) for d in a.shape)
    return '{"shape": [' + shape + '], "data": [' + data + "]}"


def begin(chapter):
    """What follows prints to chNN.txt (appended, in order), until end()."""
    global CHAPTER
    CHAPTER = chapter
    sys.stdout = io.StringIO()


def end():
    text = sys.stdout.getvalue()
    sys.stdout = sys.__stdout__
    PRINTED[CHAPTER] = PRINTED.get(CHAPTER, "") + text


def wrap(error):
    """An error message in lines that fit the book's page (and kept)."""
    global LAST_ERROR
    LAST_ERROR = str(error)
    return textwrap.fill(str(error), 72, subsequent_indent="  ")


def summary_rows(model):
    rows = []
    for layer in model.layers:
        rows.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": list(layer.output.shape),
                "params": layer.count_params(),
            }
        )
    return {"name": model.name, "layers": rows, "total_params": model.count_params()}


def shape_json(shape):
    return [d for d in shape]


# ---------------------------------------------------------------- chapter 1
begin("ch01")
# ANCHOR: ch01
timesteps = 10
input_dim = 4
hidden_size = 8

# np.random.random((timesteps, input_dim)) in the notebook: the lesson's draw
inputs = lesson("ch01", "inputs").astype(np.float64)
hidden_state_t = np.zeros((hidden_size,))  # the first hidden state is 0
print(hidden_state_t)

# np.random.random(...) in the notebook: the lesson's weights, from [0, 1)
Wx, Wh, b = [w.astype(np.float64) for w in lesson("ch01", "Wx", "Wh", "b")]
print(np.shape(Wx))  # (8, 4): for the input
print(np.shape(Wh))  # (8, 8): for the hidden state
print(np.shape(b))  # (8,): the bias

total_hidden_states = []
for input_t in inputs:  # one input per time step
    output_t = np.tanh(np.dot(Wx, input_t) + np.dot(Wh, hidden_state_t) + b)
    total_hidden_states.append(list(output_t))
    print(np.shape(total_hidden_states))  # (t, hidden_size)
    hidden_state_t = output_t

total_hidden_states = np.stack(total_hidden_states, axis=0)
print(total_hidden_states)  # (timesteps, output_dim)
# ANCHOR_END: ch01
record("ch01", "total_hidden_states", total_hidden_states)
# The lesson's second run: the same loop with Keras's initializers.
Wx, Wh, b = lesson("ch01", "keras_Wx", "keras_Wh", "keras_b")
hidden_state_t = np.zeros((hidden_size,))
states = []
for input_t in inputs:
    hidden_state_t = np.tanh(
        np.dot(Wx.astype(np.float64), input_t)
        + np.dot(Wh.astype(np.float64), hidden_state_t)
        + b.astype(np.float64)
    )
    states.append(hidden_state_t)
record("ch01", "keras_init_states", np.stack(states))
end()


# ---------------------------------------------------------------- chapters 3-5
# ANCHOR: one_hot
# One hot encoding for each char in 'hello'
h = [1, 0, 0, 0]
e = [0, 1, 0, 0]
l = [0, 0, 1, 0]
o = [0, 0, 0, 1]
# ANCHOR_END: one_hot

begin("ch03")
# ANCHOR: ch03
# One cell RNN input_dim (4) -> output_dim (2 : hidden size)
x_data = np.array([[h]], dtype=np.float32)

hidden_size = 2
cell = layers.SimpleRNNCell(units=hidden_size)  # creating SimpleRNNCell
rnn = layers.RNN(cell, return_sequences=True, return_state=True)
use_lesson_weights(rnn, "ch03", x_data.shape)  # not a random draw
outputs, states = rnn(x_data)

print('x_data: {}, shape: {}'.format(x_data, x_data.shape))
print('outputs: {}, shape: {}'.format(outputs, outputs.shape))
print('states: {}, shape: {}'.format(states, states.shape))
# ANCHOR_END: ch03
record("ch03", "rnn_outputs", outputs)
record("ch03", "rnn_states", states)
# ANCHOR: ch03_layer
# equivalent to above case
rnn = layers.SimpleRNN(units=hidden_size, return_sequences=True,
                       return_state=True)  # layers.SimpleRNNCell + layers.RNN
use_lesson_weights(rnn, "ch03", x_data.shape)  # the same weights
outputs, states = rnn(x_data)

print('x_data: {}, shape: {}'.format(x_data, x_data.shape))
print('outputs: {}, shape: {}'.format(outputs, outputs.shape))
print('states: {}, shape: {}'.format(states, states.shape))
# ANCHOR_END: ch03_layer
record("ch03", "layer_outputs", outputs)
record("ch03", "layer_states", states)
end()

begin("ch04")
# ANCHOR: ch04
# One cell RNN input_dim (4) -> output_dim (2). sequence: 5
x_data = np.array([[h, e, l, l, o]], dtype=np.float32)

hidden_size = 2
rnn = layers.SimpleRNN(units=2, return_sequences=True, return_state=True)
use_lesson_weights(rnn, "ch04", x_data.shape)  # not a random draw
outputs, states = rnn(x_data)

print('x_data: {}, shape: {} \n'.format(x_data, x_data.shape))
print('outputs: {}, shape: {} \n'.format(outputs, outputs.shape))
print('states: {}, shape: {}'.format(states, states.shape))
# ANCHOR_END: ch04
record("ch04", "outputs", outputs)
record("ch04", "states", states)
end()

begin("ch05")
# ANCHOR: ch05
# One cell RNN input_dim (4) -> output_dim (2). sequence: 5, batch 3
# 3 batches 'hello', 'eolll', 'lleel'
x_data = np.array([[h, e, l, l, o],
                   [e, o, l, l, l],
                   [l, l, e, e, l]], dtype=np.float32)

hidden_size = 2
rnn = layers.SimpleRNN(units=2, return_sequences=True, return_state=True)
use_lesson_weights(rnn, "ch05", x_data.shape)  # not a random draw
outputs, states = rnn(x_data)

print('x_data: {}, shape: {} \n'.format(x_data, x_data.shape))
print('outputs: {}, shape: {} \n'.format(outputs, outputs.shape))
print('states: {}, shape: {}'.format(states, states.shape))
# ANCHOR_END: ch05
record("ch05", "outputs", outputs)
record("ch05", "states", states)
end()


# ---------------------------------------------------------------- chapter 6
keras.backend.clear_session()
begin("ch06")
# ANCHOR: ch06
model = Sequential()
model.add(SimpleRNN(3, input_shape=(2,10)))
model.summary()
# ANCHOR_END: ch06
record("ch06", "input_shape", summary_rows(model))
# ANCHOR: ch06_batch
model = Sequential()
model.add(keras.Input(batch_shape=(8, 2, 10)))  # was batch_input_shape=(8,2,10)
model.add(SimpleRNN(3))
model.summary()
# ANCHOR_END: ch06_batch
record("ch06", "batch_shape", summary_rows(model))
# ANCHOR: ch06_sequences
model = Sequential()
model.add(keras.Input(batch_shape=(8, 2, 10)))
model.add(SimpleRNN(3, return_sequences=True))
model.summary()
# ANCHOR_END: ch06_sequences
record("ch06", "return_sequences", summary_rows(model))
# ANCHOR: ch06_old
# The notebook's spelling, in Keras 3:
try:
    SimpleRNN(3, batch_input_shape=(8,2,10))
except ValueError as error:
    print(wrap(error))
# ANCHOR_END: ch06_old
record("ch06", "batch_input_shape_error", LAST_ERROR)
end()


# ---------------------------------------------------------------- chapter 7
keras.backend.clear_session()
begin("ch07")
# ANCHOR: ch07_2d
train_X = [[0.1, 4.2, 1.5, 1.1, 2.8], [1.0, 3.1, 2.5, 0.7, 1.1],
           [0.3, 2.1, 1.5, 2.1, 0.1], [2.2, 1.4, 0.5, 0.9, 1.1]]
print(np.shape(train_X))
# ANCHOR_END: ch07_2d
# ANCHOR: ch07_2d_error
try:
    SimpleRNN(3)(np.array(train_X, dtype=np.float32))  # no batch axis
except ValueError as error:
    print(wrap(error))
# ANCHOR_END: ch07_2d_error
record("ch07", "two_d_error", LAST_ERROR)
# ANCHOR: ch07
train_X = [[[0.1, 4.2, 1.5, 1.1, 2.8], [1.0, 3.1, 2.5, 0.7, 1.1],
            [0.3, 2.1, 1.5, 2.1, 0.1], [2.2, 1.4, 0.5, 0.9, 1.1]]]
train_X = np.array(train_X, dtype=np.float32)
print(train_X.shape)

rnn = SimpleRNN(3)
use_lesson_weights(rnn, "ch07", train_X.shape)  # the same weights in each cell
hidden_state = rnn(train_X)

print('hidden state : {}, shape: {}'.format(hidden_state, hidden_state.shape))

rnn = SimpleRNN(3, return_sequences=True)
use_lesson_weights(rnn, "ch07", train_X.shape)
hidden_states = rnn(train_X)

print('hidden states : {}, shape : {}'.format(hidden_states, hidden_states.shape))

rnn = SimpleRNN(3, return_sequences=True, return_state=True)
use_lesson_weights(rnn, "ch07", train_X.shape)
hidden_states, last_state = rnn(train_X)

print('hidden states : {}, shape: {}'.format(hidden_states, hidden_states.shape))
print('last hidden state : {}, shape: {}'.format(last_state, last_state.shape))

rnn = SimpleRNN(3, return_state=True)  # not in the notebook
use_lesson_weights(rnn, "ch07", train_X.shape)
hidden_state, last_state = rnn(train_X)

print('hidden state : {}, shape: {}'.format(hidden_state, hidden_state.shape))
print('last hidden state : {}, shape: {}'.format(last_state, last_state.shape))
# ANCHOR_END: ch07
record("ch07", "state_only_hidden_state", hidden_state)
record("ch07", "state_only_last_state", last_state)
rnn = SimpleRNN(3)
use_lesson_weights(rnn, "ch07", train_X.shape)
record("ch07", "hidden_state", rnn(train_X))
rnn = SimpleRNN(3, return_sequences=True)
use_lesson_weights(rnn, "ch07", train_X.shape)
record("ch07", "hidden_states", rnn(train_X))
rnn = SimpleRNN(3, return_sequences=True, return_state=True)
use_lesson_weights(rnn, "ch07", train_X.shape)
hidden_states, last_state = rnn(train_X)
record("ch07", "both_hidden_states", hidden_states)
record("ch07", "both_last_state", last_state)
end()


# ---------------------------------------------------------------- chapter 8
begin("ch08")
# ANCHOR: ch08
lstm = LSTM(3, return_sequences=False, return_state=True)
use_lesson_weights(lstm, "ch08", train_X.shape)  # not a random draw
hidden_state, last_state, last_cell_state = lstm(train_X)

print('hidden state : {}, shape: {}'.format(hidden_state, hidden_state.shape))
print('last hidden state : {}, shape: {}'.format(last_state, last_state.shape))
print('last cell state : {}, shape: {}'.format(last_cell_state, last_cell_state.shape))

lstm = LSTM(3, return_sequences=True, return_state=True)
use_lesson_weights(lstm, "ch08", train_X.shape)
hidden_states, last_state, last_cell_state = lstm(train_X)

print('hidden states : {}, shape: {}'.format(hidden_states, hidden_states.shape))
print('params: {}'.format(lstm.count_params()))
# ANCHOR_END: ch08
record("ch08", "hidden_states", hidden_states)
record("ch08", "params", lstm.count_params())
lstm = LSTM(3, return_state=True)
use_lesson_weights(lstm, "ch08", train_X.shape)
hidden_state, last_state, last_cell_state = lstm(train_X)
record("ch08", "hidden_state", hidden_state)
record("ch08", "last_state", last_state)
record("ch08", "last_cell_state", last_cell_state)
end()


# ---------------------------------------------------------------- chapter 9
begin("ch09")
# ANCHOR: ch09
gru = GRU(3, return_sequences=False, return_state=True)
use_lesson_weights(gru, "ch09", train_X.shape)  # not a random draw
hidden_state, last_state = gru(train_X)

print('hidden state : {}, shape: {}'.format(hidden_state, hidden_state.shape))
print('last hidden state : {}, shape: {}'.format(last_state, last_state.shape))

# The original form: the same kernels, one bias row (the input's).
gru_v1 = GRU(3, reset_after=False)
gru_v1.build(train_X.shape)
kernel, recurrent_kernel, bias = lesson("ch09", "kernel", "recurrent_kernel", "bias")
gru_v1.set_weights([kernel, recurrent_kernel, bias[0]])
print('reset_after:  {}'.format(hidden_state))
print('reset_before: {}'.format(gru_v1(train_X)))

for name, layer in [('SimpleRNN', SimpleRNN(3)), ('GRU v1', GRU(3, reset_after=False)),
                    ('GRU', GRU(3)), ('LSTM', LSTM(3))]:
    layer.build(train_X.shape)
    print('{:<10} params: {}'.format(name, layer.count_params()))
# ANCHOR_END: ch09
record("ch09", "hidden_state", hidden_state)
record("ch09", "last_state", last_state)
record("ch09", "reset_before", gru_v1(train_X))
counts = {}
for name, layer in [
    ("SimpleRNN", SimpleRNN(3)),
    ("GRU_v1", GRU(3, reset_after=False)),
    ("GRU", GRU(3)),
    ("LSTM", LSTM(3)),
]:
    layer.build(train_X.shape)
    counts[name] = layer.count_params()
record("ch09", "params", counts)
end()


# ---------------------------------------------------------------- chapter 10
BI = (
    "forward_kernel",
    "forward_recurrent_kernel",
    "forward_bias",
    "backward_kernel",
    "backward_recurrent_kernel",
    "backward_bias",
)
PAIR = tuple("merge_" + name for name in BI)
begin("ch10")
# ANCHOR: ch10
bi = Bidirectional(LSTM(3, return_sequences=True, return_state=True))
use_lesson_weights(bi, "ch10", train_X.shape, BI)  # forward's, then backward's
hidden_states, forward_h, forward_c, backward_h, backward_c = bi(train_X)

print('hidden states : {}, shape: {}'.format(hidden_states, hidden_states.shape))
print('forward state : {}, shape: {}'.format(forward_h, forward_h.shape))
print('backward state : {}, shape: {}'.format(backward_h, backward_h.shape))
print('forward cell state : {}'.format(forward_c))
print('backward cell state : {}'.format(backward_c))
print('params: {}'.format(bi.count_params()))

for merge_mode in ['concat', 'sum', 'mul', 'ave', None]:
    bi2 = Bidirectional(SimpleRNN(3, return_sequences=True), merge_mode=merge_mode)
    use_lesson_weights(bi2, "ch10", train_X.shape, PAIR)
    out = bi2(train_X)
    shapes = [o.shape for o in out] if merge_mode is None else [out.shape]
    print('merge_mode {:<7} -> {}'.format(str(merge_mode).lower(),
                                         ' and '.join(map(str, shapes))))
# ANCHOR_END: ch10
    for i, o in enumerate(out if merge_mode is None else [out]):
        record("ch10", "merge_{}_{}".format(str(merge_mode).lower(), i), o)
record("ch10", "hidden_states", hidden_states)
record("ch10", "forward_h", forward_h)
record("ch10", "forward_c", forward_c)
record("ch10", "backward_h", backward_h)
record("ch10", "backward_c", backward_c)
record("ch10", "params", bi.count_params())
end()


# ---------------------------------------------------------------- chapter 11
begin("ch11")
# ANCHOR: ch11
# Three sequences of 5, 3 and 2 steps, padded with zeros to 5 (the lesson's)
x = lesson("ch11", "x")
mask = layers.Masking(mask_value=0.0).compute_mask(x)  # False where all 0
print('mask : {}'.format(mask))

rnn = SimpleRNN(3, return_sequences=True, return_state=True)
use_lesson_weights(rnn, "ch11", x.shape)  # not a random draw
outputs, states = rnn(x, mask=mask)
print('outputs : {}'.format(outputs))
print('states : {}'.format(states))

rnn = SimpleRNN(3, return_sequences=True, return_state=True,
                zero_output_for_mask=True)
use_lesson_weights(rnn, "ch11", x.shape)
zero_outputs, zero_states = rnn(x, mask=mask)
print('zero_output_for_mask : {}'.format(zero_outputs))

rnn = SimpleRNN(3, return_sequences=True, return_state=True)
use_lesson_weights(rnn, "ch11", x.shape)
plain_outputs, plain_states = rnn(x)  # no mask: the padding is read
print('states without the mask : {}'.format(plain_states))

rnn = SimpleRNN(3, return_sequences=True, go_backwards=True)
use_lesson_weights(rnn, "ch11", x.shape)
print('go_backwards, first sequence : {}'.format(rnn(x)[0]))
# ANCHOR_END: ch11
assert np.array_equal(np.asarray(mask), lesson("ch11", "mask") != 0)
record("ch11", "mask_outputs", outputs)
record("ch11", "mask_states", states)
record("ch11", "zero_outputs", zero_outputs)
record("ch11", "zero_states", zero_states)
record("ch11", "plain_states", plain_states)
record("ch11", "backwards_outputs", rnn(x))
end()


# ---------------------------------------------------------------- chapter 12
keras.backend.clear_session()
STACK = (
    "lstm_kernel",
    "lstm_recurrent_kernel",
    "lstm_bias",
    "gru_kernel",
    "gru_recurrent_kernel",
    "gru_bias",
    "dense_kernel",
    "dense_bias",
)
begin("ch12")
# ANCHOR: ch12
model = Sequential([keras.Input(shape=(6, 3)),
                    LSTM(8, return_sequences=True),
                    GRU(4),
                    Dense(3)])
model.set_weights(list(lesson("ch12", *STACK)))  # not a random draw
model.summary()

x = lesson("ch12", "x")  # (2, 6, 3), the lesson's
y = model(x)
print('input {} -> output {}'.format(x.shape, y.shape))
print(y)
# ANCHOR_END: ch12
record("ch12", "stack", summary_rows(model))
record("ch12", "y", y)
# ANCHOR: ch12_mistake
try:
    Sequential([keras.Input(shape=(6, 3)), LSTM(8), GRU(4)])
except ValueError as error:
    print(wrap(error))
# ANCHOR_END: ch12_mistake
record("ch12", "mistake_error", LAST_ERROR)
# ANCHOR: ch12_tagger
tagger = Sequential([keras.Input(shape=(6, 3)),
                     Bidirectional(SimpleRNN(6, return_sequences=True)),
                     LSTM(5, return_sequences=True),
                     Dense(4, activation='softmax')], name='tagger')
tagger.summary()
# ANCHOR_END: ch12_tagger
record("ch12", "tagger", summary_rows(tagger))
end()


# ---------------------------------------------------------------- chapter 2
# Last, because TF1's graph mode, once on, stays on for the whole process.
begin("ch02")
# ANCHOR: ch02_keras
n_inputs = 3
n_neurons = 5
# (batch_size, time_len, input_size)
X_batch = np.array([
    [[0, 1, 2], [9, 8, 7]],
    [[3, 4, 5], [3, 4, 5]],
    [[6, 7, 8], [6, 5, 4]],
    [[9, 0, 1], [3, 2, 1]]], dtype=np.float32)
Wx, Wy, b = lesson("ch02", "Wx", "Wy", "b")  # the lesson's weights

# static_rnn -> keras.layers.RNN(cell, unroll=True)
cell = keras.layers.SimpleRNNCell(units=n_neurons)  # BasicRNNCell
static = keras.layers.RNN(cell, unroll=True, return_sequences=True)
static.build(X_batch.shape)
static.set_weights([Wx, Wy, b])
Y0_val, Y1_val = static(X_batch)[:, 0], static(X_batch)[:, 1]
print('Y0_val:{}\n{}'.format(Y0_val.shape, Y0_val))

# dynamic_rnn -> keras.layers.RNN(cell)
cell2 = keras.layers.SimpleRNNCell(units=n_neurons)
dynamic = keras.layers.RNN(cell2, return_sequences=True, return_state=True)
dynamic.build(X_batch.shape)
dynamic.set_weights([Wx, Wy, b])
outputs_val, states_val = dynamic(X_batch)
print('outputs_val:{}\n{}'.format(outputs_val.shape, outputs_val))
# ANCHOR_END: ch02_keras
record("ch02", "static_Y0", Y0_val)
record("ch02", "static_Y1", Y1_val)
record("ch02", "outputs_val", outputs_val)
record("ch02", "states_val", states_val)
end()
keras_part = PRINTED.pop("ch02")

begin("ch02")
# ANCHOR: ch02
import tensorflow.compat.v1 as tf  # TF1's API, still inside TensorFlow 2.21
tf.disable_eager_execution()

n_inputs = 3
n_neurons = 5

X0 = tf.placeholder(tf.float32, [None, n_inputs])
X1 = tf.placeholder(tf.float32, [None, n_inputs])

Wx = tf.Variable(lesson("ch02", "Wx"))  # not tf.random_normal: the lesson's
Wy = tf.Variable(lesson("ch02", "Wy"))
b = tf.Variable(lesson("ch02", "b").reshape(1, n_neurons))  # zeros

Y0 = tf.tanh(tf.matmul(X0, Wx) + b) # step 1
Y1 = tf.tanh(tf.matmul(Y0, Wy) + tf.matmul(X1, Wx) +  b) # step 2

X0_batch = np.array([[0, 1, 2],
                   [3, 4, 5],
                   [6, 7, 8],
                   [9, 0, 1]])

X1_batch = np.array([[9, 8, 7],
                   [3, 4, 5],
                   [6, 5, 4],
                   [3, 2, 1]])

with tf.Session() as sess:
    tf.global_variables_initializer().run()

    Y0_var, Y1_var = sess.run([Y0, Y1], feed_dict={X0: X0_batch, X1: X1_batch})

    print('Y0_val: {} \n {}'.format(Y0_var.shape, Y0_var))
    print('Y1_val: {} \n {}'.format(Y1_var.shape, Y1_var))
# ANCHOR_END: ch02
record("ch02", "Y0_val", Y0_var)
record("ch02", "Y1_val", Y1_var)
# ANCHOR: ch02_cell
try:
    basic_cell = tf.nn.rnn_cell.BasicRNNCell(num_units=n_neurons)
except AttributeError as error:
    print(error)
# ANCHOR_END: ch02_cell
end()
PRINTED["ch02"] += keras_part


# ---------------------------------------------------------------- write
for chapter, text in PRINTED.items():
    with open(os.path.join(HERE, chapter + ".txt"), "w") as f:
        f.write(text)
with open(os.path.join(HERE, "keras.json"), "w") as f:
    f.write("{\n")
    chapters = sorted(ARRAYS)
    for i, chapter in enumerate(chapters):
        f.write('  "{}": {{\n'.format(chapter))
        names = list(ARRAYS[chapter])
        for j, name in enumerate(names):
            comma = "," if j + 1 < len(names) else ""
            f.write('    "{}": {}{}\n'.format(name, as_json(ARRAYS[chapter][name]), comma))
        f.write("  }" + ("," if i + 1 < len(chapters) else "") + "\n")
    f.write("}\n")
print("recorded with keras {}, tensorflow {}, numpy {}".format(
    keras.__version__, TF_VERSION, np.__version__))
