#!/usr/bin/python3
"""PyTorch half of the model-driven backtest benchmark (bench/backtest/run.sh).

A per-bar backtest loop the way ktrdr's original Python system runs a model:
for every bar, take the bar's feature row (numpy), standardise it with the
training scaler, torch.from_numpy -> the MLP's forward pass under
torch.no_grad() -> softmax -> argmax and the strategy's decision filters ->
a long-only position with next-open fills. One thread.

Inputs, written by bench/backtest/main.go:
  --features  .npy, float64, bars x features (NaN while indicators warm up)
  --prices    .npy, float64, bars x 2 (open, close)
  --model     JSON: {"network": <ktrdr nn.MLP JSON: Config, Layers[{W{Rows,Cols,Data}, B}]>,
                     "scaler": {"mean", "std"}, "decisions": {...}, "initial_capital"}
The weights are ktrdr's, loaded as they are (nn.Linear's weight is out x in,
like ktrdr's W), so both sides run the same model on the same rows.

Decisions, as ktrdr's backtesting.ModelDecider: an incomplete row is HOLD;
the most probable class (BUY 0, HOLD 1, SELL 2) is the candidate; below
confidence_threshold it is HOLD; with position_awareness a BUY while long or
a SELL while flat is HOLD; a BUY/SELL fewer than min_signal_separation bars
after the previous emitted one is HOLD. A decision at bar i's close fills at
bar i+1's open (the whole cash; a decision on the last bar never fills); a
position still open at the end is closed at the last close.

Prints one JSON line: bars/s timed around the loop only, the BUY and SELL
decisions emitted, the trades, the final equity. --actions-out writes each
bar's decision (int8: 0 HOLD, 1 BUY, 2 SELL, ktrdr's backtest.Action codes).
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn

HOLD, BUY, SELL = 0, 1, 2  # decisions (ktrdr's backtest.Action)
CLS_BUY, CLS_HOLD, CLS_SELL = 0, 1, 2  # model classes (ktrdr's labels.Class)


def blas_name():
    """The BLAS library this process loaded (reference BLAS is slow)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line}
        main = {lib for lib in libs if "openblas" in lib.rsplit("/", 1)[-1]} or libs
        return ",".join(sorted(lib.rsplit("/", 2)[-2] + "/" + lib.rsplit("/", 1)[-1] for lib in main)) or "none"
    except OSError:
        return "unknown"


def build_model(net, dtype):
    """The torch equivalent of a ktrdr nn.MLP, with its weights."""
    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
            "leaky_relu": lambda: nn.LeakyReLU(0.01)}
    act = acts[net["Config"]["Activation"]]
    layers = []
    for k, ly in enumerate(net["Layers"]):
        w = ly["W"]
        lin = nn.Linear(w["Cols"], w["Rows"])
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(np.asarray(w["Data"], dtype=np.float64).reshape(w["Rows"], w["Cols"])))
            lin.bias.copy_(torch.tensor(np.asarray(ly["B"], dtype=np.float64)))
        layers.append(lin)
        if k < len(net["Layers"]) - 1:
            layers.append(act())
    return nn.Sequential(*layers).to(dtype).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", required=True)
    ap.add_argument("--prices", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                    help="float32 is torch's default (the original system); ktrdr computes in float64")
    ap.add_argument("--actions-out")
    args = ap.parse_args()

    torch.set_num_threads(1)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    spec = json.load(open(args.model))
    dec = spec["decisions"]
    if dec["volume_filter"] or dec["allow_short"]:
        raise SystemExit("torch_loop.py: volume_filter and allow_short are not implemented")
    model = build_model(spec["network"], dtype)
    mean = np.asarray(spec["scaler"]["mean"], dtype=np.float64)
    std = np.asarray(spec["scaler"]["std"], dtype=np.float64)
    thr = float(dec["confidence_threshold"])
    aware = bool(dec["position_awareness"])
    sep = int(dec["min_signal_separation"])

    X = np.load(args.features)
    prices = np.load(args.prices)
    opens, closes = prices[:, 0].copy(), prices[:, 1].copy()
    n = X.shape[0]
    complete = ~np.isnan(X).any(axis=1)
    actions = np.zeros(n, dtype=np.int8)
    equity = np.empty(n)

    cash, qty = float(spec["initial_capital"]), 0.0
    pending, last_signal = HOLD, -(1 << 62)
    buys = sells = trades = 0
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(n):
            # The order decided at the previous close fills at this open.
            if pending == BUY and qty == 0.0:
                qty, cash = cash / opens[i], 0.0
            elif pending == SELL and qty > 0.0:
                cash, qty = qty * opens[i], 0.0
                trades += 1
            pending = HOLD
            act = HOLD
            if complete[i]:
                x = torch.from_numpy((X[i] - mean) / std)
                if dtype is torch.float32:
                    x = x.float()
                probs = torch.softmax(model(x.unsqueeze(0)), dim=1)[0]
                best = int(torch.argmax(probs))
                if best != CLS_HOLD and float(probs[best]) >= thr:
                    act = BUY if best == CLS_BUY else SELL
                    if aware and ((act == BUY and qty > 0.0) or (act == SELL and qty == 0.0)):
                        act = HOLD
                    elif sep > 0 and i - last_signal < sep:
                        act = HOLD
                    else:
                        last_signal = i
                        if act == BUY:
                            buys += 1
                        else:
                            sells += 1
            if act != HOLD and i + 1 < n:
                pending = act
            actions[i] = act
            equity[i] = cash + qty * closes[i]
    if qty > 0.0:  # end of data: close at the last close
        cash, qty = qty * closes[-1], 0.0
        trades += 1
        equity[-1] = cash
    seconds = time.perf_counter() - start

    if args.actions_out:
        actions.tofile(args.actions_out)
    print(json.dumps({
        "bars": n, "seconds": seconds, "bars_per_sec": n / seconds,
        "buy": buys, "sell": sells, "trades": trades, "final_equity": float(equity[-1]),
        "dtype": args.dtype, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_name(),
    }))


if __name__ == "__main__":
    main()
