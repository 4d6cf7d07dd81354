"""Times the forward-pass workloads in rnn-basics, TensorFlow and PyTorch,
side by side on this machine, and prints one JSON object per line and a
table.

    pip install tensorflow-cpu torch numpy
    cargo build --release --bin bench-forward
    python benches/compare.py [--runs 15] [--rounds 3] [--repeat 1]

Each framework runs each workload in turn, `--rounds` times over,
interleaved, so that a slow spell of the machine hits all of them; a
round reports the median of `--runs` timed calls after a warm-up, and the
best round is kept. Float32, batch-major input, return_sequences=True.

A run ends with a table that says which of the speed issue's goals it
meets. `--repeat N` makes N whole runs one after another and ends with
each goal's count of runs that meet it, since one run's luck is not a
result.
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


def faster_by(factor):
    return lambda row: row["speedup_vs_faster_framework"] >= factor


# The speed issue's goals, a test of one row of a run's results each.
MEDIUM = ("1.25× the faster framework", faster_by(1.25))
GOALS = {
    "simple_rnn_lesson": ("under 10 µs a call", lambda row: row["rnn-basics"]["median_ms"] < 0.010),
    "simple_rnn_medium": MEDIUM,
    "lstm_medium": MEDIUM,
    "gru_medium": MEDIUM,
    "lstm_large": (
        "as fast as the faster framework, at 170 GFLOP/s or more",
        lambda row: faster_by(1.0)(row) and row["rnn-basics"]["gflops"] >= 170,
    ),
}


def one_run(args, frameworks):
    """The best round of each framework on each workload, as one row a workload."""
    (tf_name, tf_make), (torch_name, torch_make) = frameworks
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
        row["goal_met"] = GOALS[name][1](row)
        rows.append(row)
    return rows


def print_table(rows, tf_name, torch_name):
    print(file=sys.stderr)
    print(f"| workload | rnn-basics | {tf_name} | {torch_name} | speed-up vs the faster | goal met |", file=sys.stderr)
    print("| --- | --- | --- | --- | --- | --- |", file=sys.stderr)
    for row in rows:
        cells = [f"{row[k]['median_ms']:.3f} ms ({row[k]['gflops']} GFLOP/s)" for k in ["rnn-basics", tf_name, torch_name]]
        met = "yes" if row["goal_met"] else "**no**"
        print(f"| {row['workload']} | " + " | ".join(cells) + f" | {row['speedup_vs_faster_framework']}x | {met} |", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="whole runs one after another, each with its own table")
    parser.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "bench-forward"))
    args = parser.parse_args()

    frameworks = (tensorflow_runner(), torch_runner())
    names = (frameworks[0][0], frameworks[1][0])
    runs = []
    for run in range(args.repeat):
        rows = one_run(args, frameworks)
        for row in rows:
            print(json.dumps({"run": run + 1, **row}))
        print_table(rows, *names)
        runs.append(rows)

    # Every run counts: a goal is met in so many of them, not in the best.
    print(file=sys.stderr)
    for i, (name, *_) in enumerate(WORKLOADS):
        goal = GOALS[name][0]
        speedups = ", ".join(f"{rows[i]['speedup_vs_faster_framework']}x" for rows in runs)
        met = sum(rows[i]["goal_met"] for rows in runs)
        print(f"{name}: {speedups}; goal ({goal}) met in {met} of {len(runs)} runs", file=sys.stderr)


if __name__ == "__main__":
    main()
