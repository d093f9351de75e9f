#!/usr/bin/python3
"""PyTorch half of the MLP training benchmark (bench/training/run.sh).

Reads the CSV written by `main.go -mode gen`, holds out the last 20% as the
test set, trains the same network as the Go side (hidden [64,32], relu,
dropout 0.2 after each hidden activation, He-normal weights, zero biases,
cross-entropy, Adam lr 1e-3, batch 32 reshuffled each epoch, 20 epochs) on
one thread, and prints one JSON line: samples/s timed around the training
loop only, and test accuracy.

Batches are taken by indexing tensors with a random permutation (no
DataLoader: its per-batch Python overhead would be charged to torch).
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn


def blas_name():
    """The BLAS library this process loaded (reference BLAS is slow)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line}
        return ",".join(sorted(lib.rsplit("/", 2)[-2] + "/" + lib.rsplit("/", 1)[-1] for lib in libs))
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--hidden", default="64,32")
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--test", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                    help="float32 is torch's default; the Go side computes in float64")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64

    raw = np.loadtxt(args.data, delimiter=",", skiprows=1)
    x_all = torch.tensor(raw[:, :-1], dtype=dtype)
    y_all = torch.tensor(raw[:, -1], dtype=torch.long)
    n = x_all.shape[0]
    n_train = n - int(round(n * args.test))
    x, y = x_all[:n_train], y_all[:n_train]
    tx, ty = x_all[n_train:], y_all[n_train:]

    layers = []
    fan_in = x.shape[1]
    for width in [int(w) for w in args.hidden.split(",")]:
        layers += [nn.Linear(fan_in, width), nn.ReLU(), nn.Dropout(args.dropout)]
        fan_in = width
    layers.append(nn.Linear(fan_in, 3))
    model = nn.Sequential(*layers).to(dtype)
    for mod in model:
        if isinstance(mod, nn.Linear):
            nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
            nn.init.zeros_(mod.bias)
    # foreach: one multi-tensor kernel per step instead of a Python loop over
    # the parameters (torch 1.13 does not default to it on CPU); it is the
    # faster form here.
    try:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, foreach=True)
    except TypeError:  # torch too old for foreach
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()

    model.train()
    samples = 0
    start = time.perf_counter()
    for _ in range(args.epochs):
        perm = torch.randperm(n_train)
        for b in range(0, n_train, args.batch):
            idx = perm[b:b + args.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            samples += idx.shape[0]
    elapsed = time.perf_counter() - start
    final_loss = float(loss.item())

    model.eval()
    with torch.no_grad():
        logits = model(tx)
        test_loss = float(loss_fn(logits, ty))
        acc = float((logits.argmax(1) == ty).double().mean())
    print(json.dumps({
        "impl": "torch",
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_name(),
        "dtype": args.dtype,
        "train_samples": n_train,
        "test_samples": int(tx.shape[0]),
        "epochs": args.epochs,
        "seconds": elapsed,
        "samples_per_sec": samples / elapsed,
        "final_batch_loss": final_loss,
        "test_loss": test_loss,
        "test_accuracy": acc,
    }))


if __name__ == "__main__":
    main()
