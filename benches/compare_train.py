"""Times one training step of the recurrent workloads in rnn-basics,
TensorFlow and PyTorch, side by side on this machine, and prints one JSON
object per line and a table.

    pip install tensorflow-cpu torch numpy
    cargo build --release --bin bench-train
    python benches/compare_train.py [--runs 15] [--rounds 3] [--repeat 1]

A training step: the forward pass over the whole sequence
(return_sequences=True, zero initial state), loss = sum of every output,
the gradients of every weight and of the input; no optimizer update.
TensorFlow runs it as a `tf.function` around a `GradientTape`, PyTorch
with autograd (2 threads), rnn-basics as `bench-train`. Each framework
runs each workload in turn, `--rounds` times over, interleaved, so that a
slow spell of the machine hits all of them; a round reports the median of
`--runs` timed steps after a warm-up, and the best round is kept.

The run starts by measuring the machine's ceilings, a pure multiply-add
loop on every core (`bench-train --peak`) and a large numpy sgemm (2048³,
float32), and says which fraction of the sgemm each step reaches
(counting a step as 3× the forward FLOPs).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from compare import WORKLOADS, flops, median_ms

TRAIN_WORKLOADS = [w for w in WORKLOADS if w[0] != "simple_rnn_lesson"]


def train_flops(*shape):
    return 3 * flops(*shape)


def sgemm_gflops(n=2048, runs=7):
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def tensorflow_runner():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import keras

    def make(layer, batch, time_, input_, units):
        cls = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}[layer]
        rnn = cls(units, return_sequences=True)
        x = tf.constant(np.random.default_rng(7).normal(size=(batch, time_, input_)).astype(np.float32))
        rnn(x)

        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(rnn(x))
            return tape.gradient(loss, rnn.trainable_variables + [x])

        return lambda: [g.numpy() for g in step(x)]

    return "tensorflow " + tf.__version__, make


def torch_runner():
    import torch

    torch.set_num_threads(2)

    def make(layer, batch, time_, input_, units):
        cls = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[layer]
        rnn = cls(input_, units, batch_first=True)
        x0 = torch.from_numpy(np.random.default_rng(7).normal(size=(batch, time_, input_)).astype(np.float32))

        def call():
            x = x0.clone().requires_grad_(True)
            rnn.zero_grad(set_to_none=True)
            rnn(x)[0].sum().backward()
            return x.grad

        return call

    return "pytorch " + torch.__version__ + f" ({torch.get_num_threads()} threads)", make


def run_rust(binary, name, runs, extra=()):
    out = subprocess.run([binary, name, *extra] + (["--quick"] if runs <= 5 else []), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


MASKED = "rnn-basics masked"

GOALS = {
    "simple_rnn_medium": 1.25,
    "lstm_medium": 1.25,
    "gru_medium": 1.25,
    "lstm_large": 1.0,
}


def one_run(args, frameworks):
    (tf_name, tf_make), (torch_name, torch_make) = frameworks
    best = {}
    tape_bytes = {}
    for _ in range(args.rounds):
        for name, layer, batch, time_, input_, units in TRAIN_WORKLOADS:
            shape = (layer, batch, time_, input_, units)
            ours = run_rust(args.binary, name, args.runs)
            tape_bytes[name] = ours.get("tape_bytes")
            results = {
                "rnn-basics": ours["median_ms"],
                tf_name: median_ms(tf_make(*shape), args.runs),
                torch_name: median_ms(torch_make(*shape), args.runs),
            }
            if args.masked:
                results[MASKED] = run_rust(args.binary, name, args.runs, ["--masked"])["median_ms"]
            for framework, ms in results.items():
                key = (name, framework)
                best[key] = min(best.get(key, float("inf")), ms)

    rows = []
    for name, layer, batch, time_, input_, units in TRAIN_WORKLOADS:
        f = train_flops(layer, batch, time_, input_, units)
        row = {"workload": name, "layer": layer, "batch": batch, "time": time_, "input": input_, "units": units}
        for framework in ["rnn-basics", tf_name, torch_name]:
            ms = best[(name, framework)]
            row[framework] = {"median_ms": round(ms, 4), "gflops": round(f / ms / 1e6, 1)}
        row["rnn-basics"]["tape_bytes"] = tape_bytes[name]
        if args.masked:
            ms = best[(name, MASKED)]
            row[MASKED] = {"median_ms": round(ms, 4), "gflops": round(f / ms / 1e6, 1)}
            row["mask_cost"] = round(ms / best[(name, "rnn-basics")], 3)
        ours = best[(name, "rnn-basics")]
        row["speedup_vs_faster_framework"] = round(min(best[(name, tf_name)], best[(name, torch_name)]) / ours, 3)
        row["goal_met"] = row["speedup_vs_faster_framework"] >= GOALS[name]
        rows.append(row)
    return rows


def print_table(rows, tf_name, torch_name, ceiling):
    print(file=sys.stderr)
    print(f"| workload | rnn-basics | {tf_name} | {torch_name} | speed-up vs the faster | goal met |", file=sys.stderr)
    print("| --- | --- | --- | --- | --- | --- |", file=sys.stderr)
    for row in rows:
        cells = [
            f"{row[k]['median_ms']:.2f} ms ({row[k]['gflops']} GFLOP/s, {row[k]['gflops'] / ceiling:.0%})"
            for k in ["rnn-basics", tf_name, torch_name]
        ]
        met = "yes" if row["goal_met"] else "**no**"
        print(f"| {row['workload']} | " + " | ".join(cells) + f" | {row['speedup_vs_faster_framework']}x | {met} |", file=sys.stderr)
        if MASKED in row:
            print(f"|   with an all-true mask | {row[MASKED]['median_ms']:.2f} ms ({row['mask_cost']}x the time) | | | | |", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="whole runs one after another, each with its own table")
    parser.add_argument("--masked", action="store_true", help="also time bench-train with an all-true mask (--masked)")
    parser.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "bench-train"))
    args = parser.parse_args()

    frameworks = (tensorflow_runner(), torch_runner())
    names = (frameworks[0][0], frameworks[1][0])
    for run in range(args.repeat):
        peak = json.loads(subprocess.run([args.binary, "--peak"], check=True, capture_output=True, text=True).stdout)
        peak = peak["peak_multiply_add_gflops"]
        ceiling = sgemm_gflops()
        print(json.dumps({"run": run + 1, "peak_multiply_add_gflops": peak, "numpy_sgemm_2048_gflops": round(ceiling, 1)}))
        print(
            f"\nmachine ceilings: multiply-add loop at {peak:.0f} GFLOP/s, numpy sgemm 2048³ at {ceiling:.0f} GFLOP/s",
            file=sys.stderr,
        )
        rows = one_run(args, frameworks)
        for row in rows:
            print(json.dumps({"run": run + 1, **row}))
        print_table(rows, *names, ceiling)


if __name__ == "__main__":
    main()
