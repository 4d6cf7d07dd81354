"""Times the forward-pass workloads in rnn-basics, TensorFlow and PyTorch,
side by side on this machine, and prints one JSON object per line and a
table.

    pip install tensorflow-cpu torch numpy
    cargo build --release --bin bench-forward
    python benches/compare.py [--runs 15] [--rounds 3]

Each framework runs each workload in turn, `--rounds` times over,
interleaved, so that a slow spell of the machine hits all of them; a
round reports the median of `--runs` timed calls after a warm-up, and the
best round is kept. Float32, batch-major input, return_sequences=True.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

WORKLOADS = [
    # name, layer, batch, time, input, units (as benches/workloads.rs)
    ("simple_rnn_lesson", "SimpleRNN", 3, 5, 4, 2),
    ("simple_rnn_medium", "SimpleRNN", 64, 100, 128, 256),
    ("lstm_medium", "LSTM", 32, 100, 64, 128),
    ("gru_medium", "GRU", 32, 100, 64, 128),
    ("lstm_large", "LSTM", 64, 50, 512, 512),
]
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def flops(layer, batch, time_, input_, units):
    return 2 * batch * time_ * GATES[layer] * units * (input_ + units)


def median_ms(call, runs):
    for _ in range(3):
        call()
    # Calls shorter than 20 ms are repeated within a run, as bench-forward does.
    t = time.perf_counter()
    call()
    once = time.perf_counter() - t
    repeat = max(1, int(0.02 / max(once, 1e-9)))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(repeat):
            call()
        times.append((time.perf_counter() - t) / repeat)
    return statistics.median(times) * 1e3


def tensorflow_runner():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import keras

    def make(layer, batch, time_, input_, units):
        cls = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}[layer]
        rnn = cls(units, return_sequences=True)
        x = tf.constant(np.random.default_rng(7).normal(size=(batch, time_, input_)).astype(np.float32))
        rnn(x)
        fn = tf.function(lambda x: rnn(x))
        return lambda: fn(x).numpy()

    return "tensorflow " + tf.__version__, make


def torch_runner():
    import torch

    def make(layer, batch, time_, input_, units):
        cls = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[layer]
        rnn = cls(input_, units, batch_first=True).eval()
        x = torch.from_numpy(np.random.default_rng(7).normal(size=(batch, time_, input_)).astype(np.float32))

        def call():
            with torch.no_grad():
                return rnn(x)[0]

        return call

    return "pytorch " + torch.__version__ + f" ({torch.get_num_threads()} threads)", make


def run_rust(binary, name, runs):
    out = subprocess.run([binary, name] + (["--quick"] if runs <= 5 else []), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["median_ms"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "bench-forward"))
    args = parser.parse_args()

    tf_name, tf_make = tensorflow_runner()
    torch_name, torch_make = torch_runner()
    best = {}
    for _ in range(args.rounds):
        for name, layer, batch, time_, input_, units in WORKLOADS:
            shape = (layer, batch, time_, input_, units)
            results = {
                "rnn-basics": run_rust(args.binary, name, args.runs),
                tf_name: median_ms(tf_make(*shape), args.runs),
                torch_name: median_ms(torch_make(*shape), args.runs),
            }
            for framework, ms in results.items():
                key = (name, framework)
                best[key] = min(best.get(key, float("inf")), ms)

    rows = []
    for name, layer, batch, time_, input_, units in WORKLOADS:
        f = flops(layer, batch, time_, input_, units)
        row = {"workload": name, "layer": layer, "batch": batch, "time": time_, "input": input_, "units": units}
        for framework in ["rnn-basics", tf_name, torch_name]:
            ms = best[(name, framework)]
            row[framework] = {"median_ms": round(ms, 4), "gflops": round(f / ms / 1e6, 1)}
        ours = best[(name, "rnn-basics")]
        # Three decimals, so that 1.247 does not print as a goal of 1.25 met.
        row["speedup_vs_faster_framework"] = round(min(best[(name, tf_name)], best[(name, torch_name)]) / ours, 3)
        print(json.dumps(row))
        rows.append(row)

    print(file=sys.stderr)
    print(f"| workload | rnn-basics | {tf_name} | {torch_name} | speed-up vs the faster |", file=sys.stderr)
    print("| --- | --- | --- | --- | --- |", file=sys.stderr)
    for row in rows:
        cells = [f"{row[k]['median_ms']:.3f} ms ({row[k]['gflops']} GFLOP/s)" for k in ["rnn-basics", tf_name, torch_name]]
        print(f"| {row['workload']} | " + " | ".join(cells) + f" | {row['speedup_vs_faster_framework']}x |", file=sys.stderr)


if __name__ == "__main__":
    main()
