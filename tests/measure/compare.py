#!/usr/bin/env python3
"""Footprint's estimates against the PyTorch measurements in tests/models/measured.json.

Runs build/bin/footprint-cli for every measured configuration and prints a Markdown table
(the README's). Development only: the same comparison is asserted by tests/core/tst_measured.cpp.
Usage: tests/measure/compare.py [--workspace POLICY]
"""
import json, subprocess, sys, os

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cli = os.path.join(root, "build/bin/footprint-cli")
measured = json.load(open(os.path.join(root, "tests/models/measured.json")))
extra = sys.argv[1:]

def estimate(file, cfg, mode, optimizer="sgd"):
    args = [cli, "analyze", os.path.join(root, "tests/models", file), "--format", "json", "--mode", mode,
            "--optimizer", optimizer, "--batch", str(cfg["batch"])] + extra
    if "height" in cfg:
        args += ["--resolution", f"{cfg['height']}x{cfg['width']}"]
    if "seq" in cfg:
        args += ["--dim", f"sequence={cfg['seq']}"]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)

def pct(est, meas):
    return f"{100.0 * (est - meas) / meas:+.1f}%"

mib = 1024 * 1024
print("| configuration | saved activations: measured / estimated | training peak (SGD / momentum / Adam): measured / estimated | inference peak: measured / estimated |")
print("| --- | --- | --- | --- |")
worst = {"saved": 0, "train": 0, "infer": 0}
for key, m in measured.items():
    if key.startswith("_"):
        continue
    file, cfg = m["file"], m["config"]
    cfg = dict(cfg)
    if "sequence" in cfg:
        cfg["seq"] = cfg.pop("sequence")
    inputs = sum(i["bytes"] for i in m["inputs"])
    train_cells = []
    for name, opt in (("sgd", "sgd"), ("sgd_momentum", "momentum"), ("adam", "adam")):
        e = estimate(file, cfg, "training", opt)
        meas = m["training"][name]["training_step_peak_with_held_bytes"]
        est = e["training"]["peak_bytes"]
        worst["train"] = max(worst["train"], abs(est - meas) / meas)
        train_cells.append(f"{meas / mib:.1f} / {est / mib:.1f} ({pct(est, meas)})")
        if name == "sgd":
            saved_est = e["training"]["saved_activation_bytes"]
    saved_meas = m["saved_activation_bytes"]
    worst["saved"] = max(worst["saved"], abs(saved_est - saved_meas) / saved_meas)
    inf = estimate(file, cfg, "inference")
    inf_meas = m["inference_peak_bytes"] + inputs  # the caller's input is held before the measured window
    inf_est = inf["totals"]["peak_bytes"]
    worst["infer"] = max(worst["infer"], abs(inf_est - inf_meas) / inf_meas)
    label = key.replace(".onnx", "").replace("|", ", ").replace("=", " ")
    print(f"| {label} | {saved_meas / mib:.1f} / {saved_est / mib:.1f} MiB ({pct(saved_est, saved_meas)}) | "
          + "; ".join(train_cells) + f" MiB | {inf_meas / mib:.1f} / {inf_est / mib:.1f} MiB ({pct(inf_est, inf_meas)}) |")
print()
print("worst: saved {:.1f}%, training peak {:.1f}%, inference peak {:.1f}%".format(
    100 * worst["saved"], 100 * worst["train"], 100 * worst["infer"]))
