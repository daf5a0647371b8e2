#!/usr/bin/env python3
"""Measure a runtime's memory behaviour with PyTorch and write a Footprint calibration or runtime profile.

Two modes:

  calibrate.py [--device cpu|cuda] [-o calibration.json]
      The device's fixed overheads (format "footprint-calibration", `footprint-cli analyze MODEL
      --calibration FILE`):
        context_bytes                 CUDA: memory the driver and runtime hold once PyTorch has
                                      initialised the device (total - free - PyTorch's reserve). CPU: 0.
        allocation_granularity_bytes  the allocator's rounding: the size it charges for a 1-byte
                                      tensor (CUDA's caching allocator: 512).
        conv_workspace                informational: for a grid of convolution shapes, the memory a
                                      forward pass needed beyond its input, weight and output
                                      (cuDNN's algorithm choice), beside Footprint's im2col figure.

  calibrate.py --runtime pytorch-cpu|pytorch-cuda [-o resources/runtimes/pytorch-cpu.json] [--quick]
  calibrate.py --refit resources/runtimes/pytorch-cpu.points.json [-o FILE]
      A runtime profile (format "footprint-runtime", schema in resources/runtimes/README.md): the
      micro-benchmark calibration of seed 000 -- single layers (Conv1d/Conv2d over many shapes,
      ConvTranspose2d, Linear, MatMul, Softmax, LayerNorm, BatchNorm, GroupNorm, pooling,
      elementwise ops, Dropout) are run one at a time, fp32, at several batch sizes, and for each
      the transient memory ("scratch") of its forward and of its backward is measured.  Analytical
      rules (scratch = coefficients x input / output / weight / im2col-columns bytes + const, plus
      the largest of some such alternatives: oneDNN holds blocked copies of the input and weights
      OR of the output, not both) are then fitted CONSERVATIVELY to those points (every point of a
      rule covered, with the smallest over-estimate relative to the layer's input + output +
      weight; see CONV_RULES and fit_template) and extrapolate to whole networks in the C++ core.
      Operator entries get a "match" (weight_operand / broadcast) where the points of one side
      take no scratch (op_match).
      The raw points go to FILE with ".points.json" in place of ".json" so the fit can be redone
      with --refit.

  calibrate.py --autocast-only [--runtime pytorch-cpu|pytorch-cuda] [-o FILE]
      Only torch.autocast's policy (also measured, and written, by a full --runtime calibration):
      for each ONNX operator type (autocast_cases: one or more torch functions per type) the output
      dtype under torch.autocast(device, dtype) of fp32 inputs, of low-precision activations with
      fp32 parameters, of all-low-precision inputs and of mixed activations classifies it as
      lower_precision / fp32 / promote; the backward is run in the low dtype to find missing
      kernels, and the weight cache (cached_cast) is checked.  Replaces the profile's "autocast"
      section in place and leaves every other key as it is (schema: resources/runtimes/README.md).

How a point is measured
  CPU: torch.profiler.profile(activities=[CPU], profile_memory=True); the "[memory]" events of
  prof.profiler.kineto_results.events() (nbytes < 0 = free), in order, as in
  tests/measure/measure_memory.py.  Running sum from 0 at profiler start.
  CUDA: torch.cuda.reset_peak_memory_stats(), then memory_allocated() / max_memory_allocated()
  around the synchronised call.
  - forward scratch: one warm-up call, then one profiled call; scratch = peak above start - the
    bytes still allocated above start at the end (the output(s), plus what autograd keeps, e.g.
    the dropout mask, which Footprint counts as saved activations, not scratch).  Measured with
    torch.no_grad() (inference) and with grad (training forward); the rule covers both.
  - backward scratch: forward with requires_grad input and parameters, then profile
    y.backward(grad_output) (grad_output allocated before the profile); scratch = peak above start
    - the gradients that stay (input grad + weight/bias grads).
  torch.set_num_threads(1) by default (--threads): the peaks are then exactly repeatable.  NOTE:
  PyTorch's convolution backend choice depends on the thread count (batch<16 1x1 convs go to
  oneDNN instead of slow_conv2d when threads > 1), and oneDNN's gemm-based kernels keep per-thread
  buffers, so a profile measured at 1 thread is for 1 thread.
"""
import argparse
import datetime
import itertools
import json
import math
import os
import platform
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

F = torch.nn.functional


# ================================================================================================
# legacy mode: fixed overheads (footprint-calibration)
# ================================================================================================
def charged_bytes_cpu(n):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        t = torch.empty(n, dtype=torch.uint8)
        del t
    sizes = [e.nbytes() for e in prof.profiler.kineto_results.events() if e.name() == "[memory]" and e.nbytes() > 0]
    return max(sizes) if sizes else n


def charged_bytes_cuda(n):
    before = torch.cuda.memory_allocated()
    t = torch.empty(n, dtype=torch.uint8, device="cuda")
    charged = torch.cuda.memory_allocated() - before
    del t
    return charged


def legacy_calibration(device, output):
    out = {"format": "footprint-calibration", "version": 1, "torch": torch.__version__}
    if device == "cuda":
        torch.cuda.init()
        torch.empty(1, device="cuda")
        free, total = torch.cuda.mem_get_info()
        out["name"] = torch.cuda.get_device_name()
        out["context_bytes"] = total - free - torch.cuda.memory_reserved()
        before = torch.cuda.memory_allocated()
        t = torch.empty(1, dtype=torch.uint8, device="cuda")
        out["allocation_granularity_bytes"] = torch.cuda.memory_allocated() - before
        del t
        grid = []
        for n, cin, cout, hw, k in [(1, 64, 64, 56, 3), (8, 64, 64, 56, 3), (8, 128, 128, 28, 3), (8, 256, 256, 14, 3),
                                    (8, 3, 64, 224, 7), (8, 512, 512, 7, 3), (8, 256, 64, 56, 1)]:
            x = torch.randn(n, cin, hw, hw, device="cuda")
            conv = torch.nn.Conv2d(cin, cout, k, padding=k // 2).cuda()
            with torch.no_grad():
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                base = torch.cuda.memory_allocated()
                y = conv(x)
                torch.cuda.synchronize()
                extra = torch.cuda.max_memory_allocated() - base - y.numel() * y.element_size()
            im2col = n * cin * k * k * y.shape[2] * y.shape[3] * 4
            grid.append({"n": n, "cin": cin, "cout": cout, "hw": hw, "kernel": k, "measured_workspace_bytes": extra,
                         "im2col_bytes": im2col})
            del x, y, conv
        out["conv_workspace"] = grid
    else:
        out["name"] = "cpu (torch " + torch.__version__ + ")"
        out["context_bytes"] = 0
        out["allocation_granularity_bytes"] = charged_bytes_cpu(1)
    with open(output, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: v for k, v in out.items() if k != "conv_workspace"}))


# ================================================================================================
# meters: run a callable once and report (result, peak above start, end above start, op names)
# ================================================================================================
class CpuMeter:
    device = "cpu"

    def run(self, fn):
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
            r = fn()
        s = peak = 0
        names = set()
        for e in prof.profiler.kineto_results.events():
            if e.name() == "[memory]":
                s += e.nbytes()
                peak = max(peak, s)
            else:
                names.add(e.name())
        return r, peak, s, names


class CudaMeter:
    device = "cuda"

    def run(self, fn):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        r = fn()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
        end = torch.cuda.memory_allocated() - base
        return r, peak, end, set()


def nbytes(t):
    return t.numel() * t.element_size()


def backend_of(names):
    """The convolution implementation PyTorch dispatched to, from the profiler's op names (CPU only)."""
    for key, label in (("mkldnn_convolution", "mkldnn"), ("slow_conv_dilated2d", "slow_dilated2d"),
                       ("_slow_conv2d_forward", "slow2d"), ("slow_conv_transpose2d", "slow_transpose2d"),
                       ("_nnpack", "nnpack"), ("xnnpack", "xnnpack"), ("mkldnn", "mkldnn")):
        if any(key in n for n in names):
            return label
    return ""


def measure_module(meter, module, inputs, grad_inputs=True, modes=("inference", "train")):
    """Forward scratch (no_grad and with grad), what the training forward keeps beyond its outputs,
    and the backward's scratch, for module(*inputs).  Returns a dict of byte counts."""
    dev = meter.device
    out = {}
    names = set()
    if "inference" in modes:
        module.eval()              # inference: Dropout is the identity, BatchNorm uses running stats
        with torch.no_grad():
            module(*inputs)
            y, peak, end, names = meter.run(lambda: module(*inputs))
        ys = y if isinstance(y, (tuple, list)) else (y,)
        out["output_bytes"] = sum(nbytes(t) for t in ys)
        out["fwd_inference"] = peak - end
        out["inference_end_minus_output"] = end - out["output_bytes"]
        del y, ys
    if "train" in modes:
        module.train()
        if getattr(module, "_train_eval", False):
            module.eval()          # e.g. BatchNorm in eval mode but with gradients
        xs = [x.detach().clone().requires_grad_(grad_inputs and x.is_floating_point()) for x in inputs]
        # warm-up forward + backward
        y = module(*xs)
        ys = y if isinstance(y, (tuple, list)) else (y,)
        sum(t.float().sum() for t in ys).backward()
        module.zero_grad(set_to_none=True)
        for x in xs:
            x.grad = None
        del y, ys
        y, peak, end, n2 = meter.run(lambda: module(*xs))
        names |= n2
        ys = y if isinstance(y, (tuple, list)) else (y,)
        ob = sum(nbytes(t) for t in ys)
        out.setdefault("output_bytes", ob)
        out["fwd_train"] = peak - end
        out["train_saved_beyond_output"] = end - ob
        gs = [torch.randn_like(t) for t in ys]
        _, peak, end, n3 = meter.run(lambda: torch.autograd.backward(list(ys), gs))
        names |= n3
        grads = sum(nbytes(x.grad) for x in xs if x.grad is not None)
        grads += sum(nbytes(p.grad) for p in module.parameters() if p.grad is not None)
        out["grads_bytes"] = grads
        out["bwd"] = peak - grads
        out["bwd_end_minus_grads"] = end - grads
        del y, ys, gs, xs
    out["backend"] = backend_of(names) if dev == "cpu" else ""
    out["forward"] = max(out.get("fwd_inference", 0), out.get("fwd_train", 0))
    return out


# ================================================================================================
# the micro-benchmark grid
# ================================================================================================
def conv_specs(quick=False):
    """(rank, N, Cin, Cout, (H, W) or L, kernel, stride, dilation, groups, transposed) tuples."""
    S = []

    def c2(n, cin, cout, hw, k, s=1, d=1, g=1, p=None):
        hw = (hw, hw) if isinstance(hw, int) else tuple(hw)
        k = (k, k) if isinstance(k, int) else tuple(k)
        s = (s, s) if isinstance(s, int) else tuple(s)
        d = (d, d) if isinstance(d, int) else tuple(d)
        S.append({"rank": 4, "n": n, "cin": cin, "cout": cout, "spatial": list(hw), "kernel": list(k),
                  "stride": list(s), "dilation": list(d), "groups": g})
        if p is not None:
            S[-1]["padding"] = p  # else "same": (k // 2) * d

    def c1(n, cin, cout, length, k, s=1, d=1, g=1):
        S.append({"rank": 3, "n": n, "cin": cin, "cout": cout, "spatial": [length], "kernel": [k],
                  "stride": [s], "dilation": [d], "groups": g})

    batches = (1, 8)
    if quick:
        for n in batches:
            c2(n, 64, 64, 28, 3); c2(n, 64, 64, 28, 1); c2(n, 3, 32, 64, 7, 2); c2(n, 32, 32, 28, 3, g=32)
            c2(n, 16, 16, 8, 3); c1(n, 64, 64, 200, 5)
        return S
    # square kernels over the usual stages (channels, image)
    for n in batches:
        for cin, hw in [(16, 56), (64, 56), (128, 28), (256, 14), (512, 7)]:
            for k in (1, 3):
                for s in (1, 2):
                    c2(n, cin, cin if s == 1 else min(2 * cin, 512), hw, k, s)
        for cin, hw in [(16, 56), (64, 28), (128, 14)]:
            for k in (5, 7):
                for s in ((1, 2) if cin < 128 else (1,)):
                    c2(n, cin, cin if s == 1 else 2 * cin, hw, k, s)
        # first layers (3 input channels), channel growth / shrink, bottleneck 1x1s
        c2(n, 3, 64, 112 if n > 1 else 224, 7, 2)
        c2(n, 3, 32, 112 if n > 1 else 224, 3, 2)
        c2(n, 3, 16, 64, 3, 1)
        c2(n, 1, 16, (64, 200) if n > 1 else (128, 400), 3)           # spectrogram first layer
        c2(n, 256, 64, 28, 1); c2(n, 64, 256, 28, 1); c2(n, 512, 128, 14, 1)
        c2(n, 64, 128, 28, 3); c2(n, 128, 64, 28, 3)
        # dilation
        c2(n, 64, 64, 28, 3, d=2); c2(n, 256, 256, 14, 3, d=2); c2(n, 32, 32, 56, 3, d=(1, 2))
        c2(n, 64, 64, 28, 5, d=2); c2(n, 16, 16, 20, 3, d=2)
        # non-square 1xk / kx1 (Inception, spectrogram front ends)
        for k in (3, 7, 11, 31):
            c2(n, 64, 64, 17 if k < 31 else 32, (1, k)); c2(n, 64, 64, 17 if k < 31 else 32, (k, 1))
        c2(n, 16, 16, (64, 200) if n > 1 else (128, 400), (1, 7)); c2(n, 16, 16, (64, 200) if n > 1 else (128, 400), (7, 1))
        c2(n, 32, 32, (32, 100), (3, 11), s=(1, 2))
        c2(n, 32, 64, (64, 64), 3, s=(1, 2)); c2(n, 32, 32, (40, 120), (1, 31), s=(1, 2))
        # grouped (ResNeXt 32x4d) and depthwise (MobileNet, ConvNeXt 7x7)
        c2(n, 128, 128, 28, 3, g=32); c2(n, 256, 256, 14, 3, g=32); c2(n, 128, 128, 28, 3, s=2, g=32)
        c2(n, 64, 64, 28, 1, g=32)
        for cin, hw in ((32, 56), (96, 28), (384, 14)):
            for k in (3, 5, 7):
                c2(n, cin, cin, hw, k, 1, g=cin)
            c2(n, cin, cin, hw, 3, 2, g=cin)
        c2(n, 64, 64, 28, 3, d=2, g=64)
        # small inputs (batch-1 <= 20480 elements goes to slow_conv2d single-threaded)
        c2(n, 16, 16, 32, 3); c2(n, 64, 64, 16, 3); c2(n, 128, 128, 8, 3, 2); c2(n, 512, 512, 4, 3)
        c2(n, 64, 64, 16, 5); c2(n, 32, 32, 16, 3, d=2); c2(n, 64, 64, 16, 1, 2)
    # the batch boundaries of the 1x1 rule (N >= 16 goes to oneDNN)
    for n in (2, 4, 15, 16, 32):
        c2(n, 64, 64, 28, 1)
    c2(2, 64, 64, 28, 3); c2(32, 64, 64, 14, 3); c2(32, 32, 32, 28, 3, g=32)
    # a few large ones (extrapolation check)
    c2(1, 32, 32, 224, 3); c2(8, 32, 32, 112, 3); c2(1, 256, 256, 56, 1); c2(16, 128, 128, 56, 1)
    c2(8, 3, 64, 224, 7, 2); c2(1, 32, 32, 224, 3, g=32)
    # Conv1d (ONNX Conv of rank 3): speech / audio front ends, TCNs, Conformer depthwise
    for n in batches:
        for k in (3, 5, 11, 31):
            c1(n, 64, 64, 400, k); c1(n, 64, 64, 400, k, s=2)
        c1(n, 256, 256, 200, 3); c1(n, 512, 512, 50, 5); c1(n, 64, 64, 400, 3, d=2); c1(n, 64, 64, 400, 3, d=4)
        c1(n, 128, 128, 200, 3, d=8); c1(n, 1, 64, 4000 if n > 1 else 16000, 10, s=5); c1(n, 80, 256, 300, 3)
        c1(n, 256, 256, 200, 31, g=256); c1(n, 256, 256, 200, 3, g=256); c1(n, 256, 512, 200, 1)
        c1(n, 64, 64, 100, 3); c1(n, 128, 128, 100, 5, s=2); c1(n, 128, 128, 200, 3, g=32)
        for k in (7, 15, 21):
            c1(n, 128, 128, 300, k)
        c1(n, 512, 512, 200, 3, s=2); c1(n, 32, 64, 1000, 7, s=4); c1(n, 256, 256, 300, 5, d=2)
        c1(n, 144, 144, 300, 31, g=144); c1(n, 144, 288, 300, 1); c1(n, 64, 32, 800, 9)
    # wider coverage of the oneDNN rules: batch sizes, channel ratios, strides, dilations, kernels
    for n in (2, 4, 32):
        c2(n, 64, 64, 28, 3); c2(n, 64, 128, 28, 3, 2); c2(n, 128, 128, 14, 3); c2(n, 256, 256, 7, 3)
        c2(n, 64, 256, 14, 1, 2); c2(n, 32, 32, 28, 3, g=32); c2(n, 64, 64, 14, 5, g=64, s=2)
        c2(n, 64, 64, 14, (1, 7)); c2(n, 64, 64, 14, (7, 1)); c2(n, 64, 64, 14, 3, d=2)
        c2(n, 3, 32, 64, 3, 2); c1(n, 128, 128, 200, 11); c1(n, 128, 128, 200, 3, d=2)
    for n in (16, 32):
        c2(n, 64, 256, 14, 1); c2(n, 256, 64, 14, 1); c2(n, 256, 1024, 7, 1); c2(n, 32, 16, 28, 1)
    for n in (1, 8):
        c2(n, 32, 128, 28, 3); c2(n, 256, 32, 14, 3); c2(n, 16, 96, 56, 5, 2)          # expansions / reductions
        c2(n, 3, 24, 224 if n == 1 else 112, 3, 2); c2(n, 3, 96, 224 if n == 1 else 112, 4, 4)   # stems
        c2(n, 3, 768, 224 if n == 1 else 112, 16, 16)                                   # ViT patch embedding
        # patch embeddings as the models write them, unpadded: oneDNN reorders the weight, which
        # for ViT-B/32 (3 x 32 x 32 x 768, 9 MiB) is larger than the output (vit_b_32 batch 1)
        for k, cout in ((16, 768), (32, 768), (14, 1024), (16, 384), (4, 96), (8, 256)):
            c2(n, 3, cout, 224, k, k, p=0)
        c2(n, 256, 256, 32, 3, d=4); c2(n, 128, 128, 32, 3, d=6); c2(n, 512, 512, 16, 3, d=12)  # DeepLab ASPP
        c2(n, 64, 64, 32, 3, s=(2, 1)); c2(n, 64, 64, (32, 64), 5, s=(1, 2)); c2(n, 16, 32, (128, 100), 3, s=(2, 1))
        for k in (3, 5, 15):
            c2(n, 32, 32, (48, 96), (1, k)); c2(n, 32, 32, (48, 96), (k, 1))
        c2(n, 128, 128, 17, (1, 7), s=2); c2(n, 48, 48, (64, 128), (3, 1), d=(2, 1))
        c2(n, 64, 64, 28, 3, g=2); c2(n, 64, 64, 28, 3, g=4); c2(n, 96, 96, 28, 1, g=3); c2(n, 256, 256, 14, 3, g=8, s=2)
        c2(n, 144, 144, 56, 5, 2, g=144); c2(n, 64, 64, 112, 7, g=64); c2(n, 16, 16, 112, 3, g=16)
    S += channels_last_specs(quick)
    return S


def channels_last_specs(quick=False):
    S = []
    for n in ((1,) if quick else (1, 8)):
        for cin, cout, hw, k, s in [(96, 192, 32, 2, 2), (384, 768, 8, 2, 2), (192, 384, 16, 2, 2), (64, 64, 56, 3, 1),
                                    (64, 128, 28, 3, 1), (128, 128, 14, 1, 1), (256, 64, 14, 1, 1), (64, 64, 28, 5, 1)]:
            if quick and k != 2:
                continue
            S.append({"rank": 4, "n": n, "cin": cin, "cout": cout, "spatial": [hw, hw], "kernel": [k, k],
                      "stride": [s, s], "dilation": [1, 1], "groups": 1, "channels_last": True})
    return S


def conv_point(meter, sp):
    dev = meter.device
    torch.manual_seed(0)
    cls = torch.nn.Conv1d if sp["rank"] == 3 else torch.nn.Conv2d
    pad = sp["padding"] if "padding" in sp else [(k // 2) * d for k, d in zip(sp["kernel"], sp["dilation"])]
    m = cls(sp["cin"], sp["cout"], sp["kernel"], stride=sp["stride"], padding=pad, dilation=sp["dilation"],
            groups=sp["groups"]).to(dev)
    if sp.get("channels_last"):
        # a channels-last view, as ConvNeXt's LayerNorm2d hands its downsampling convolution:
        # permute(0, 3, 1, 2) of an NHWC tensor (ONNX: Transpose, perm = 0,3,1,2)
        x = torch.randn(sp["n"], *sp["spatial"], sp["cin"], device=dev).permute(0, 3, 1, 2)
    else:
        x = torch.randn(sp["n"], sp["cin"], *sp["spatial"], device=dev)
    r = measure_module(meter, m, [x])
    with torch.no_grad():
        y = m(x)
    outsp = list(y.shape[2:])
    g = sp["groups"]
    col_img = sp["cin"] // g * math.prod(sp["kernel"]) * math.prod(outsp) * 4
    p = dict(sp)
    # "weight" is the ONNX Conv's second input (the kernel, without the bias), as the C++ core sizes it
    p.update({"out_spatial": outsp, "input_bytes": nbytes(x), "weight_bytes": nbytes(m.weight),
              "bias_bytes": nbytes(m.bias),
              "columns_image": col_img, "columns_batch": col_img * sp["n"],
              "output_elements": y.numel(), "input_elements": x.numel()})
    p.update(r)
    return p


def convT_specs(quick=False):
    S = []
    for n in ((1, 8) if not quick else (8,)):
        S += [(n, 64, 32, 28, 4, 2, 1), (n, 128, 64, 14, 2, 2, 0), (n, 32, 16, 56, 3, 1, 1), (n, 256, 128, 7, 4, 2, 1),
              (n, 16, 3, 64, 4, 2, 1)]
    return S


def convT_point(meter, sp):
    n, cin, cout, hw, k, s, pad = sp
    torch.manual_seed(0)
    m = torch.nn.ConvTranspose2d(cin, cout, k, stride=s, padding=pad).to(meter.device)
    x = torch.randn(n, cin, hw, hw, device=meter.device)
    r = measure_module(meter, m, [x])
    with torch.no_grad():
        y = m(x)
    p = {"op": "ConvTranspose", "shape": [n, cin, hw, hw], "cout": cout, "kernel": k, "stride": s, "padding": pad,
         "input_bytes": nbytes(x), "weight_bytes": nbytes(m.weight), "bias_bytes": nbytes(m.bias),
         "out_shape": list(y.shape),
         # the columns of a gemm-based transposed conv: Cout*k*k x Hin*Win per image
         "columns_image": cout * k * k * hw * hw * 4}
    p.update(r)
    return p


class Lambda(torch.nn.Module):
    def __init__(self, fn, params=(), train=False, train_eval=False):
        super().__init__()
        self.fn = fn
        self.ps = torch.nn.ParameterList(list(params))
        self._keep_train = train
        self._train_eval = train_eval

    def forward(self, *xs):
        return self.fn(*xs)


def op_specs(quick=False):
    """(ONNX op name, variant label, module factory, input shapes factory) -- factories take the device."""
    L = []
    bt = [(1, 128), (8, 128), (4, 512)] if not quick else [(2, 64)]
    for b, t in bt:
        L.append(("Gemm", "linear 2d", lambda d, t=t: torch.nn.Linear(768, 3072).to(d), [(b * t, 768)]))
        L.append(("Gemm", "linear 2d shrink", lambda d: torch.nn.Linear(3072, 768).to(d), [(b * t, 3072)]))
        L.append(("MatMul", "linear 3d (MatMul+Add)", lambda d: torch.nn.Linear(768, 768).to(d), [(b, t, 768)]))
        L.append(("MatMul", "attention q@k^T 4d", lambda d: Lambda(lambda q, k: q @ k.transpose(-1, -2)),
                  [(b, 12, t, 64), (b, 12, t, 64)]))
        L.append(("MatMul", "attention p@v 4d", lambda d: Lambda(lambda p, v: p @ v), [(b, 12, t, t), (b, 12, t, 64)]))
        L.append(("MatMul", "3d bmm", lambda d: Lambda(lambda a, c: a @ c), [(b * 4, t, 64), (b * 4, 64, t)]))
        L.append(("Softmax", "last dim 4d", lambda d: Lambda(lambda x: torch.softmax(x, -1)), [(b, 12, t, t)]))
        L.append(("LayerNormalization", "last dim", lambda d: torch.nn.LayerNorm(768).to(d), [(b, t, 768)]))
        L.append(("Gelu", "erf", lambda d: torch.nn.GELU(), [(b, t, 3072)]))
        L.append(("Gelu", "tanh", lambda d: torch.nn.GELU(approximate="tanh"), [(b, t, 3072)]))
        L.append(("Dropout", "p=0.1 train", lambda d: Lambda(torch.nn.Dropout(0.1), train=True), [(b, t, 768)]))
        L.append(("Add", "residual", lambda d: Lambda(lambda a, c: a + c), [(b, t, 768), (b, t, 768)]))
        L.append(("Add", "broadcast bias", lambda d: Lambda(lambda a, c: a + c), [(b, t, 768), (768,)]))
        L.append(("Mul", "same shape", lambda d: Lambda(lambda a, c: a * c), [(b, t, 768), (b, t, 768)]))
        L.append(("Attention", "matmul+softmax+matmul (no fused SDPA in torch 1.13)",
                  lambda d: Lambda(lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2) * 0.125, -1) @ v),
                  [(b, 12, t, 64)] * 3))
    imgs = [(1, 64, 56), (8, 64, 56), (8, 256, 14), (32, 32, 28)] if not quick else [(2, 32, 28)]
    for n, c, hw in imgs:
        sh = [(n, c, hw, hw)]
        L.append(("BatchNormalization", "eval", lambda d, c=c: Lambda(torch.nn.BatchNorm2d(c).to(d), train_eval=True), sh))
        L.append(("BatchNormalization", "train", lambda d, c=c: Lambda(torch.nn.BatchNorm2d(c).to(d), train=True), sh))
        L.append(("GroupNormalization", "32 groups", lambda d, c=c: torch.nn.GroupNorm(32, c).to(d), sh))
        L.append(("InstanceNormalization", "affine", lambda d, c=c: torch.nn.InstanceNorm2d(c, affine=True).to(d), sh))
        L.append(("MaxPool", "k3 s2 p1", lambda d: torch.nn.MaxPool2d(3, 2, 1), sh))
        L.append(("MaxPool", "k2 s2", lambda d: torch.nn.MaxPool2d(2, 2), sh))
        L.append(("AveragePool", "k3 s2 p1", lambda d: torch.nn.AvgPool2d(3, 2, 1), sh))
        L.append(("AveragePool", "k2 s2", lambda d: torch.nn.AvgPool2d(2, 2), sh))
        L.append(("GlobalAveragePool", "adaptive 1x1", lambda d: torch.nn.AdaptiveAvgPool2d(1), sh))
        L.append(("Relu", "", lambda d: torch.nn.ReLU(), sh))
        L.append(("Sigmoid", "", lambda d: torch.nn.Sigmoid(), sh))
        L.append(("Tanh", "", lambda d: torch.nn.Tanh(), sh))
        L.append(("HardSwish", "", lambda d: torch.nn.Hardswish(), sh))
        L.append(("Silu", "x*sigmoid(x) (ONNX Sigmoid+Mul)", lambda d: torch.nn.SiLU(), sh))
        L.append(("Clip", "relu6", lambda d: torch.nn.ReLU6(), sh))
        L.append(("Dropout", "p=0.2 train, 4d", lambda d: Lambda(torch.nn.Dropout(0.2), train=True), sh))
        L.append(("Add", "residual 4d", lambda d: Lambda(lambda a, c: a + c), sh + sh))
        L.append(("Mul", "SE channel scale", lambda d, n=n, c=c: Lambda(lambda a, s: a * s), sh + [(n, c, 1, 1)]))
        L.append(("Concat", "channels", lambda d: Lambda(lambda a, c: torch.cat([a, c], 1)), sh + sh))
        L.append(("MaxPool", "k3 s1 p1", lambda d: torch.nn.MaxPool2d(3, 1, 1), sh))
        L.append(("AveragePool", "k3 s1 p1", lambda d: torch.nn.AvgPool2d(3, 1, 1), sh))
    return L


def op_point(meter, spec):
    op, variant, make, shapes = spec
    torch.manual_seed(0)
    m = make(meter.device)
    xs = [torch.randn(*s, device=meter.device) for s in shapes]
    r = measure_module(meter, m, xs)
    # "weight" as the C++ core sizes it: the ONNX node's second input -- the second operand of a
    # binary op, else the module's weight (Gemm's B, the norms' scale)
    w = xs[1] if len(xs) > 1 else next((q for n_, q in m.named_parameters() if n_.endswith("weight")), None)
    p = {"op": op, "variant": variant, "shapes": [list(s) for s in shapes], "input_bytes": nbytes(xs[0]),
         "inputs_bytes": sum(nbytes(x) for x in xs), "weight_bytes": nbytes(w) if w is not None else 0,
         "params_bytes": sum(nbytes(q) for q in m.parameters()),
         "elements": xs[0].numel()}
    p.update(r)
    return p


# ================================================================================================
# conv rules: the match predicates (evaluated exactly as the C++ core does) and the fit
# ================================================================================================
def conv_facts(p):
    k, s, d = p["kernel"], p["stride"], p["dilation"]
    g, cin = p["groups"], p["cin"]
    return {"rank": p["rank"], "pointwise": all(v == 1 for v in k), "strided": any(v > 1 for v in s),
            "dilated": any(v > 1 for v in d), "depthwise": g == cin and cin > 1, "grouped": 1 < g < cin,
            "square": len(k) == 2 and k[0] == k[1], "batch": p["n"], "in_channels": cin,
            # a Conv1d, or a Conv2d over an input of height 1 (PyTorch runs both as 1 x L)
            "unit_height": p["rank"] == 3 or p["spatial"][0] == 1, "kernel_extent": max(k),
            "output_elements": p["output_elements"], "input_elements": p["input_elements"],
            "channels_last": bool(p.get("channels_last", False)),
            # (1, 2), (2, 1), a strided Conv1d (run as 1 x L): oneDNN's backward takes gemm
            "asymmetric_stride": any(v > 1 for v in s) and (p["rank"] == 3 or s[0] != s[1])}


_BOUNDS = {"batch": "batch", "in_channels": "in_channels", "kernel_extent": "kernel_extent",
           "output_elements": "output_elements", "input_elements": "input_elements"}


def rule_matches(match, p):
    f = conv_facts(p)
    for key, v in match.items():
        if key in ("rank", "pointwise", "strided", "dilated", "depthwise", "grouped", "square", "unit_height",
                   "channels_last", "asymmetric_stride"):
            if f[key] != v:
                return False
        elif key.endswith("_max") and f[_BOUNDS[key[:-4]]] > v:
            return False
        elif key.endswith("_min") and f[_BOUNDS[key[:-4]]] < v:
            return False
    return True


# ------------------------------------------------------------------------------------------------
# max-structured rules.  oneDNN's buffers are not a sum: the forward holds blocked copies of the
# input and the weights OR of the output (whichever is live at the peak), the backward the
# blocked gradients OR the weight gradient's reorder OR, on its gemm path, one image's im2col
# columns + weight-gradient buffers.  A scratch formula is `linear terms + max(alternatives)`
# (resources/runtimes/README.md, core/runtime.cpp applyScratch).  A rule's forward and backward
# are each fitted from a TEMPLATE: the formula with, for each coefficient, the values it may take
# (a list), or FIT for the one coefficient solved exactly (the smallest that covers every point,
# rounded up).  Every combination is tried; among those that cover every point of the rule, the
# one with the smallest mean over-estimate relative to the layer's own I + O + W wins (ties: fewer
# terms, then the smaller worst case).  Coefficients are whole buffers (0, 1, 4 weight-gradient
# copies ...): the data choose WHICH buffers, not fractions of them.
# ------------------------------------------------------------------------------------------------
FIT = "fit"
ON = [0, 1]  # a buffer present or not
SMALL = [0, 1024, 4096]  # bias-sized leftovers (a few hundred bytes), in whole KiB
# the terms of the plain linear fit (fit_conservative), for the CUDA rules and as a fallback
ONEDNN = ["input", "output", "weight", "columns_image", "const"]
SLOW = ["input", "output", "weight", "columns_image", "columns_batch", "const"]

# oneDNN jit forward: the input's blocked copy + the reordered weights (+ a strided 1x1 kernel's
# "reduce to unit stride" copy of one image), or the blocked output.  Its gemm path (taken when the
# left padding exceeds the jit kernel's unroll: 1 x k kernels wider than 7 with "same" padding,
# dilation >= 4) reads the plain input and weights: the output + gemm's column scratchpad (a
# constant of about 250 KiB at batch 1, none at batch 8).
ONEDNN_FWD = {"const": SMALL, "max": [{"input": ON, "weight": ON, "columns_image": ON}, {"output": 1, "const": FIT}]}
# oneDNN backward: grad_input + grad_output blocked (jit), or their larger one, or the weight
# gradient's reorder, or (gemm) one image's im2col columns + weight-gradient buffers.  A template
# list: the fit takes the best of either (the gemm alternative always holds its columns).
_JIT_BWD = [{"input": [0, 0.5, 1, 1.5, 2], "output": [0, 0.5, 1, 1.5, 2], "columns_image": ON, "const": FIT},
            {"output": ON}, {"weight": ON}]
ONEDNN_BWD = [{"const": SMALL, "max": _JIT_BWD},
              {"const": SMALL, "max": _JIT_BWD + [{"columns_image": 1, "weight": [0, 1, 4]}]}]
# oneDNN gemm backward (dilated kernels): one image's columns + the weight gradient's buffers, or
# an output-sized buffer (the points at batch 8 and 32 show it where it is the larger)
GEMM_BWD = {"const": SMALL, "max": [{"output": 1}, {"columns_image": 1, "weight": [0, 1, 4]}]}
# the long 1-D rule also holds kernels 12..14, measured neither way (11 runs jit backward, 15 gemm):
# grad_input + grad_output blocked (jit) or the gemm buffers, whichever is larger
GEMM_OR_JIT_BWD = {"const": SMALL, "max": [{"input": 1, "output": 1}, {"columns_image": 1, "weight": [0, 1, 4]}]}
# batch 1 with a stride: jit (grad_input + grad_output blocked, or the weight gradient's reorder),
# but gemm for asymmetric strides (s = (1, 2), (2, 1), a strided Conv1d), which the predicates
# cannot tell from symmetric ones: its columns (whose points all exceed I + O, but the jit
# buffers stay in the formula for the shapes where they do not)
BATCH1_STRIDED_BWD = {"const": SMALL, "max": [{"input": 1, "output": 1}, {"weight": ON},
                                              {"columns_image": 1, "weight": [0, 1, 4]}]}
# channels-last: weight.contiguous(channels_last) and oneDNN's own reorder of it, both live with
# the output
CHANNELS_LAST_FWD = {"const": SMALL, "weight": [0, 1, 2], "max": [{"input": ON}, {"output": ON}]}
# ... and in the backward three weight-sized buffers (its copies and the gradient's reorder)
CHANNELS_LAST_BWD = {"const": SMALL, "weight": [0, 1, 2, 3, 4], "max": [{"input": ON}, {"output": ON}]}
# THNN slow_conv2d / slow_conv_dilated2d: the im2col columns (of the batch; of one image for the
# dilated one, the same at batch 1)
IM2COL = {"columns_batch": ON, "const": SMALL}

# Ordered like PyTorch 1.13's ConvParams::use_mkldnn (aten/src/ATen/native/Convolution.cpp), for
# fp32 CPU tensors and 1 thread:
#   use_mkldnn = (strided || dilated || N >= 16 || kernel != 1x1 || threads > 1)
#             && (groups > 1 || (kh > 3 && kw > 3) || N > 1 || N*C*H*W > 20480)
# else slow_conv_dilated2d (dilated: im2col of ONE image at a time) or slow_conv2d (im2col of the
# WHOLE batch; a 1x1 stride-1 unpadded kernel uses the input as its columns).  Conv1d is viewed as
# a 2-d conv of height 1.  Within oneDNN the rules split by the algorithm oneDNN 2.6 picks (jit or
# gemm, forward and backward apart), as far as the match predicates can tell it.
CONV_RULES = [
    # before every other rule: a channels-last input changes the algorithm whatever the shape
    {"name": "channels-last 1x1 (slow_conv2d below batch 16: the permuted input is its own columns, no weight copy)",
     "match": {"channels_last": True, "pointwise": True, "batch_max": 15}, "forward": IM2COL, "backward": IM2COL},
    {"name": "oneDNN channels-last (the weight made channels-last, then reordered: two copies)",
     "match": {"channels_last": True}, "forward": CHANNELS_LAST_FWD, "backward": CHANNELS_LAST_BWD},
    {"name": "slow_conv2d 1x1 (THNN: the input is its own im2col columns; batch < 16, 1 thread)",
     "match": {"pointwise": True, "strided": False, "dilated": False, "batch_max": 15, "grouped": False,
               "depthwise": False}, "forward": IM2COL, "backward": IM2COL},
    {"name": "slow_conv2d / slow_conv_dilated2d im2col (batch 1, input <= 20480 elements, groups 1)",
     "match": {"batch_max": 1, "input_elements_max": 20480, "grouped": False, "depthwise": False},
     "forward": IM2COL, "backward": IM2COL},
    {"name": "oneDNN depthwise 3x3 (jit, blocked nChw8c: grad_input and grad_output blocked)",
     "match": {"depthwise": True, "kernel_extent_max": 3}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
    {"name": "oneDNN depthwise 5x5 and larger (jit: one gradient blocked, not both; gemm-like columns for a few)",
     "match": {"depthwise": True}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
    {"name": "oneDNN grouped (jit; a grouped 1x1 below batch 16 runs slow_conv2d)",
     "match": {"grouped": True}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
    {"name": "oneDNN first layer (<= 4 input channels: plain-layout input, blocked output)",
     "match": {"in_channels_max": 4}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
    {"name": "oneDNN gemm, long 1-D kernel (1 x k, k >= 12: gemm forward, no weight reorder; gemm backward)",
     "match": {"unit_height": True, "kernel_extent_min": 12}, "forward": ONEDNN_FWD, "backward": GEMM_OR_JIT_BWD},
    {"name": "oneDNN dilated (jit forward when the padding is <= 3, else gemm; gemm backward)",
     "match": {"dilated": True}, "forward": ONEDNN_FWD, "backward": GEMM_BWD},
    {"name": "oneDNN 1-D kernel 9..11 (gemm forward, no weight reorder; jit backward)",
     "match": {"unit_height": True, "kernel_extent_min": 9}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
    {"name": "oneDNN 1xk / kx1, k >= 9 (1xk: gemm, kx1: jit; the predicates cannot tell them apart)",
     "match": {"square": False, "kernel_extent_min": 9}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
    {"name": "oneDNN 1x1 strided (jit + a reduce-to-unit-stride copy of one image)",
     "match": {"pointwise": True, "strided": True}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
    {"name": "oneDNN batch 1, asymmetric stride (jit forward; gemm backward: (1, 2), (2, 1), a strided Conv1d)",
     "match": {"batch_max": 1, "strided": True, "asymmetric_stride": True}, "forward": ONEDNN_FWD,
     "backward": BATCH1_STRIDED_BWD},
    {"name": "oneDNN batch 1 strided (jit forward and backward)",
     "match": {"batch_max": 1, "strided": True}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
    {"name": "oneDNN direct (jit, blocked layouts: the input + the reordered weights, or the output)",
     "match": {}, "forward": ONEDNN_FWD, "backward": ONEDNN_BWD},
]

# CUDA (cuDNN, torch.backends.cudnn.benchmark = False: cudnnGetConvolution*Algorithm_v7 heuristics;
# the workspace goes through the caching allocator, so max_memory_allocated sees it).
CUDA_CONV_RULES = [
    {"name": "cuDNN depthwise", "match": {"depthwise": True}, "features": ONEDNN},
    {"name": "cuDNN grouped", "match": {"grouped": True}, "features": ONEDNN},
    {"name": "cuDNN conv1d (rank 3)", "match": {"rank": 3}, "features": ONEDNN},
    {"name": "cuDNN dilated", "match": {"dilated": True}, "features": ONEDNN},
    {"name": "cuDNN pointwise", "match": {"pointwise": True}, "features": ONEDNN},
    {"name": "cuDNN (implicit / precomputed GEMM, FFT, Winograd workspaces)", "match": {}, "features": ONEDNN},
]

FEATURES = ["input", "output", "weight", "columns_image", "columns_batch", "const"]


def feature_values(p, direction):
    return {"input": p["input_bytes"], "output": p["output_bytes"], "weight": p["weight_bytes"],
            "columns_image": p.get("columns_image", 0), "columns_batch": p.get("columns_batch", 0), "const": 1}


def _round_up(c, feature):
    """Round a coefficient UP (keeps coverage): byte constants to 1 KiB, ratios to the next 1/8 when
    >= 1/4 (buffers come in whole tensors, halves and quarters: blocked layouts, stride-2 copies),
    otherwise to 3 decimals."""
    if c <= 0:
        return 0.0
    if feature == "const":
        return int(math.ceil(c / 1024.0) * 1024)
    if c >= 0.25:
        return math.ceil(c * 8 - 1e-6) / 8.0
    return math.ceil(c * 1000 - 1e-6) / 1000.0


def fit_conservative(points, target, features, max_terms=2):
    """Non-negative coefficients over a subset of `features` (at most max_terms, plus an optional
    "const") such that sum(coef * feature) >= target for every point, minimising the summed
    over-estimate relative to each point's (target + output) bytes.  Solved exactly by vertex
    enumeration (an LP's optimum lies on a vertex: as many tight points as non-zero coefficients).
    A larger subset is taken only when it lowers the mean over-estimate by >= 2 percentage points."""
    import numpy as np
    if not points:
        return {}, {}
    target = denoised(target)
    m = np.array([float(target(p)) for p in points])
    if m.max() <= 0:
        return {}, {"points": len(points), "worst_under": 0.0, "worst_over": 0.0}
    den = np.maximum(m + np.array([float(p["output_bytes"]) for p in points]), 1.0)
    X = {f: np.array([float(feature_values(p, None)[f]) for p in points]) for f in features}
    best = None
    subsets = []
    base = [f for f in features if f != "const"]
    for k in range(1, max_terms + 1):
        for sub in itertools.combinations(base, k):
            subsets.append(sub)
            if "const" in features and k < max_terms:
                subsets.append(sub + ("const",))
    for sub in subsets:
        A = np.stack([X[f] for f in sub], 1)  # n x k
        k = len(sub)
        n = len(points)
        if math.comb(n, k) == 0:
            continue
        if math.comb(n, k) > 1500000:  # too many vertices: a random sample (any feasible one still covers)
            rng = np.random.default_rng(0)
            idx = np.sort(np.stack([rng.choice(n, k, replace=False) for _ in range(1500000 // 4)]), 1)
        else:
            idx = np.array(list(itertools.combinations(range(n), k)))
        cand = []
        for chunk in np.array_split(idx, max(1, len(idx) // 4000)):
            M = A[chunk]  # c x k x k
            b = m[chunk]
            det_ok = np.abs(np.linalg.det(M)) > 1e-9 * np.abs(M).max(axis=(1, 2)) ** k
            if not det_ok.any():
                continue
            sol = np.linalg.solve(M[det_ok], b[det_ok][..., None])[..., 0]
            sol = sol[(sol >= -1e-12).all(1)]
            if len(sol):
                cand.append(sol)
        if not cand:
            continue
        sol = np.clip(np.concatenate(cand), 0, None)
        sol = np.unique(np.round(sol, 12), axis=0)
        pred = sol @ A.T  # c x n
        feas = (pred >= m[None, :] * (1 - 1e-9) - 1e-6).all(1)
        if not feas.any():
            continue
        sol, pred = sol[feas], pred[feas]
        obj = ((pred - m[None, :]) / den[None, :]).mean(1)
        i = int(obj.argmin())
        coefs = {f: _round_up(c, f) for f, c in zip(sub, sol[i]) if c > 1e-9}
        pr = sum(coefs[f] * X[f] for f in coefs)
        score = float(((pr - m) / den).mean())
        if best is None or score < best[0] - 0.02 * (len(coefs) > len(best[1])) - 1e-12 or \
                (abs(score - best[0]) < 1e-12 and len(coefs) < len(best[1])):
            if best is not None and len(coefs) > len(best[1]) and score > best[0] - 0.02:
                continue
            best = (score, coefs)
    if best is None:  # nothing covers every point with <= max_terms features: scale the best single one
        f = max(base, key=lambda f: (X[f] > 0).sum())
        best = (0.0, {f: _round_up(float((m / np.maximum(X[f], 1)).max()), f)})
    coefs = best[1]
    return coefs, coverage(points, target, coefs)


NOISE_FRACTION, NOISE_BYTES = 0.01, 65536


def denoised(target):
    """Scratch below 1% of the layer's input + output + weight bytes AND below 64 KiB counts as
    zero (per-row statistics such as LayerNorm's mean/rstd, 0-dim scalars, 8-byte wrapped numbers):
    modelling it would only add noise terms."""
    def t(p):
        v = max(float(target(p)), 0.0)
        if v < NOISE_BYTES and v < NOISE_FRACTION * (p["input_bytes"] + p["output_bytes"] + p["weight_bytes"]):
            return 0.0
        return v
    return t


def _template_slots(template):
    """[(where, feature, values)] of a template: where = -1 for the linear part, j for the j-th
    alternative of its "max"; values a tuple, or FIT."""
    slots = []
    for where, part in [(-1, template)] + list(enumerate(template.get("max", []))):
        for f, v in part.items():
            if f == "max":
                continue
            slots.append((where, f, FIT if v == FIT else tuple(v) if isinstance(v, (list, tuple)) else (v,)))
    if sum(v == FIT for _, _, v in slots) > 1:
        raise ValueError("a template solves at most one coefficient (FIT)")
    return slots


def _round_up_array(c, feature):
    import numpy as np
    if feature == "const":
        return np.ceil(c / 1024.0 - 1e-9) * 1024
    return np.where(c >= 0.25, np.ceil(c * 8 - 1e-6) / 8.0, np.ceil(c * 1000 - 1e-6) / 1000.0) * (c > 0)


def held_bytes(p):
    """What the layer holds anyway while it runs: its input, output and weight."""
    return float(p["input_bytes"] + p["output_bytes"] + p["weight_bytes"])


def fit_template(points, target, template, chunk=4096):
    """The best formula of `template` (see FIT above; or of a list of templates) over `points`, or
    None when no combination covers every point.  Returns (formula, score)."""
    import numpy as np
    if not points:
        return {}, ()
    if isinstance(template, list):
        fits = [f for f in (fit_template(points, target, t, chunk) for t in template) if f is not None]
        return min(fits, key=lambda f: f[1]) if fits else None
    target = denoised(target)
    m = np.array([float(target(p)) for p in points])
    held = np.maximum(np.array([held_bytes(p) for p in points]), 1.0)
    slots = _template_slots(template)
    fixed = [s for s in slots if s[2] != FIT]
    free = next((s for s in slots if s[2] == FIT), None)
    n_alt = len(template.get("max", []))
    X = {f: np.array([float(feature_values(p, None)[f]) for p in points]) for _, f, _ in slots}
    tol = 1e-9 * np.maximum(m, 1.0)
    grids = [np.array(v, dtype=float) for _, _, v in fixed]
    total = int(np.prod([len(g) for g in grids])) if grids else 1
    best = None
    for start in range(0, total, chunk):
        idx = np.arange(start, min(total, start + chunk))
        coefs = np.zeros((len(idx), len(fixed)))
        rest = idx.copy()
        for s in range(len(fixed) - 1, -1, -1):  # mixed-radix digits: the last slot varies fastest
            coefs[:, s] = grids[s][rest % len(grids[s])]
            rest //= len(grids[s])
        parts = np.zeros((n_alt + 1, len(idx), len(points)))  # [linear, alt 0, alt 1, ...]
        for s, (where, f, _) in enumerate(fixed):
            parts[where + 1] += coefs[:, s, None] * X[f][None, :]
        lin = parts[0]
        alts = parts[1:]
        free_c = np.zeros(len(idx))
        if free is None:
            est = lin + (alts.max(0) if n_alt else 0.0)
            ok = (est >= m - tol).all(1)
        else:
            where, f, _ = free
            xf = X[f][None, :] if f != "const" else np.ones((1, len(points)))
            if where < 0:
                base = lin + (alts.max(0) if n_alt else 0.0)
                need = m[None, :] - base
                must = need > tol
            else:
                others = lin + (np.delete(alts, where, 0).max(0) if n_alt > 1 else 0.0)
                base = lin + alts[where]
                need = m[None, :] - base
                must = (others < m - tol) & (need > tol)
            ok = ~(must & (xf <= 0)).any(1)
            ratio = np.where(must & (xf > 0), need / np.where(xf > 0, xf, 1.0), 0.0)
            free_c = _round_up_array(ratio.max(1), f)
            if where < 0:
                est = base + free_c[:, None] * xf
            else:
                est = np.maximum(others, base + free_c[:, None] * xf)
            ok &= (est >= m - tol).all(1)
        if not ok.any():
            continue
        over = (est - m) / held
        obj = over.mean(1)
        nnz = (coefs != 0).sum(1) + (free_c != 0)
        worst = over.max(1)
        # ties (points where I = O cannot tell 1*I + 1*O from 2*O): the evener coefficients, then
        # fewer terms, then the smaller worst case
        ratios = np.array([f != "const" for _, f, _ in fixed], dtype=bool)
        spread = (coefs[:, ratios] ** 2).sum(1)
        for i in np.flatnonzero(ok):
            key = (round(float(obj[i]), 9), float(spread[i]), int(nnz[i]), round(float(worst[i]), 9))
            if best is None or key < best[0]:
                best = (key, coefs[i].copy(), float(free_c[i]))
    if best is None:
        return None
    formula_parts = [dict() for _ in range(n_alt + 1)]
    for s, (where, f, _) in enumerate(fixed):
        if best[1][s]:
            formula_parts[where + 1][f] = float(best[1][s])
    if free is not None and best[2]:
        formula_parts[free[0] + 1][free[1]] = int(best[2]) if free[1] == "const" else best[2]
    return _formula(formula_parts[0], [a for a in formula_parts[1:] if a]), best[0]


def _formula(linear, alternatives):
    """The JSON formula: coefficients as plain numbers; one alternative left joins the linear part."""
    out = dict(linear)
    if len(alternatives) == 1:
        for f, c in alternatives[0].items():
            out[f] = out.get(f, 0) + c
    elif alternatives:
        out["max"] = alternatives
    return {f: (int(c) if f == "const" else round(c, 6)) if f != "max" else c for f, c in out.items()}


def predict(p, formula):
    """A scratch formula's bytes for a point, as core/runtime.cpp applyScratch computes them:
    the linear terms + the largest alternative of "max"."""
    fv = feature_values(p, None)
    linear = sum(c * fv[f] for f, c in formula.items() if f != "max")
    return linear + max([predict(p, alt) for alt in formula.get("max", [])] + [0.0])


def coverage(points, target, coefs):
    """Fit quality: worst under- and over-estimate relative to the measured scratch (a point
    measured at 0 counts relative to its output), and the over-estimate relative to the bytes the
    layer holds anyway (input + output + weight: what matters for a whole network's peak)."""
    target = denoised(target)
    under = over = 0.0
    held = []
    for p in points:
        t, e = target(p), predict(p, coefs)
        if t > 0:
            r = (e - t) / t
            under, over = min(under, r), max(over, r)
        elif e > 0:
            over = max(over, e / max(p["output_bytes"], 1))
        held.append((e - t) / max(held_bytes(p), 1.0))
    held.sort()
    return {"points": len(points), "worst_under": round(abs(under), 4), "worst_over": round(over, 4),
            "worst_over_held": round(max(held, default=0.0), 4),
            "median_over_held": round(held[len(held) // 2] if held else 0.0, 4)}


def _fit_direction(points, target, rule, key):
    """One direction of a rule: its template when it has one (a LP over "features" otherwise, or
    when the template cannot cover the points: a new runtime, say, whose buffers differ)."""
    template = rule.get(key)
    if template is not None:
        fitted = fit_template(points, target, template)
        if fitted is not None:
            return fitted[0], coverage(points, target, fitted[0])
        print(f"calibrate.py: warning: the {key} template of \"{rule['name']}\" leaves some of its {len(points)} "
              f"points uncovered; fitting a sum of terms instead", file=sys.stderr)
    return fit_conservative(points, target, rule.get("features", FEATURES), max_terms=4)


def fit_conv_rules(points, rules=CONV_RULES):
    out = []
    remaining = list(points)
    for rule in rules:
        mine = [p for p in remaining if rule_matches(rule["match"], p)]
        remaining = [p for p in remaining if not rule_matches(rule["match"], p)]
        entry = {"name": rule["name"], "match": rule["match"]}
        fw, cf = _fit_direction(mine, lambda p: p["forward"], rule, "forward")
        bw, cb = _fit_direction(mine, lambda p: p["bwd"], rule, "backward")
        backends = sorted({p.get("backend", "") for p in mine} - {""})
        entry.update({"forward": fw, "backward": bw, "points": len(mine),
                      "worst_under": max(cf.get("worst_under", 0), cb.get("worst_under", 0)),
                      "worst_over": max(cf.get("worst_over", 0), cb.get("worst_over", 0)),
                      "worst_over_held": max(cf.get("worst_over_held", 0), cb.get("worst_over_held", 0)),
                      "forward_fit": cf, "backward_fit": cb, "backends_seen": backends})
        out.append(entry)
    if remaining:
        print(f"calibrate.py: warning: {len(remaining)} points match no rule", file=sys.stderr)
    return out


OP_FEATURES = ["input", "output", "weight", "const"]
OP_FEATURE_SETS = {
    # the backward of A @ B^T copies the transposed operand's gradient: sized like an input
    "MatMul": ["input", "const"],
    # per-(instance, channel) statistics: scale with the input, not with the (C-sized) weight
    "InstanceNormalization": ["input", "output", "const"],
    "GroupNormalization": ["input", "output", "const"],
    # slow_conv_transpose2d: im2col columns of one image (Cout/g * kh * kw * Hin * Win floats)
    "ConvTranspose": ["input", "output", "weight", "columns_image", "const"],
}


def op_facts(p):
    """The operator-entry predicates of core/runtime.cpp, for a measured point: is the ONNX node's
    second input a weight (an initializer: a module's parameter, e.g. Linear's), and do its first
    two inputs differ in size (a broadcast operand)."""
    shapes = p.get("shapes") or [p.get("shape", [])]
    if len(shapes) >= 2:
        return {"weight_operand": False, "broadcast": math.prod(shapes[0]) != math.prod(shapes[1])}
    return {"weight_operand": p.get("weight_bytes", 0) > 0, "broadcast": False}


def op_match(points):
    """The "match" an op's entry needs, or {}: when the points split by a predicate (weight_operand
    first, then broadcast) into a side with scratch and a side with none, the entry is for the
    side with scratch and the match keeps it off the other (MatMul: attention's q @ k^T copies a
    gradient, a Linear layer's product with its weight takes nothing; Mul: a broadcast operand's
    backward reduces a full-size product, a same-shape Mul takes nothing)."""
    zero = denoised(lambda p: p["forward"]), denoised(lambda p: p.get("bwd", 0))
    has = [any(t(p) > 0 for t in zero) for p in points]
    for key in ("weight_operand", "broadcast"):
        for value in (True, False):
            side = [h for p, h in zip(points, has) if op_facts(p)[key] == value]
            rest = [h for p, h in zip(points, has) if op_facts(p)[key] != value]
            if side and rest and any(side) and not any(rest):
                return {key: value}
    return {}


def fit_ops(points):
    ops = {}
    by = {}
    for p in points:
        by.setdefault(p["op"], []).append(p)
    for op, pts in sorted(by.items()):
        if op in ("Attention",):
            continue  # a composite, reported in the points only
        match = op_match(pts)
        mine = [p for p in pts if all(op_facts(p)[k] == v for k, v in match.items())]
        feats = OP_FEATURE_SETS.get(op, OP_FEATURES)
        fw, cf = fit_conservative(mine, lambda p: p["forward"], feats)
        bw, cb = fit_conservative(mine, lambda p: p.get("bwd", 0), feats)
        if not fw and not bw:
            continue
        ops[op] = {"forward": fw, "backward": bw, "points": len(mine),
                   "worst_under": max(cf.get("worst_under", 0), cb.get("worst_under", 0)),
                   "worst_over": max(cf.get("worst_over", 0), cb.get("worst_over", 0)),
                   "variants": sorted({p["variant"] for p in mine})}
        if match:
            ops[op]["match"] = match
            if op in OP_NOTES:
                ops[op]["note"] = OP_NOTES[op]
    return ops


OP_NOTES = {
    "MatMul": "q @ k^T in attention: the backward copies one input-sized gradient; a Linear layer's product "
              "(a weight operand) takes nothing",
    "Mul": "a broadcast operand (squeeze-and-excitation's scale): the backward's product before the reduction; "
           "same-shape products take nothing",
}


# ================================================================================================
# autocast policy (mixed precision as PyTorch runs it): which ONNX op types torch.autocast runs in
# the low-precision dtype, which in float32, and which follow type promotion
# ================================================================================================
# Argument specs of an autocast case: ("x", shape) a float activation (requires grad in the
# backward check); ("w", shape) an fp32 parameter (a leaf that requires grad, as nn.Module holds);
# ("buf", shape) an fp32 buffer (running statistics: no grad, positive); ("idx", shape, high) int64
# indices; ("mask", shape) a bool condition; ("s", value) a 0-dim fp32 tensor (a scalar
# initializer).  "when" marks a variant whose class may differ from the op's usual one: the ONNX
# node's rank (input rank), or its "mode" attribute.
def autocast_cases():
    X4, X3, X5 = ("x", (2, 8, 6, 6)), ("x", (2, 5, 16)), ("x", (2, 4, 4, 4, 4))
    W16 = [("w", (16,)), ("w", (16,))]
    W8 = [("w", (8,)), ("w", (8,))]
    H = 6

    def lstm(x, wih, whh, bih, bhh):
        h0 = torch.zeros(1, x.shape[0], H, dtype=x.dtype)
        return torch._VF.lstm(x, (h0, h0), [wih, whh, bih, bhh], True, 1, 0.0, True, False, True)[0]

    def gru(x, wih, whh, bih, bhh):
        h0 = torch.zeros(1, x.shape[0], H, dtype=x.dtype)
        return torch._VF.gru(x, h0, [wih, whh, bih, bhh], True, 1, 0.0, True, False, True)[0]

    def rnn(x, wih, whh, bih, bhh):
        h0 = torch.zeros(1, x.shape[0], H, dtype=x.dtype)
        return torch._VF.rnn_tanh(x, h0, [wih, whh, bih, bhh], True, 1, 0.0, True, False, True)[0]

    unary = [("Relu", F.relu), ("Sigmoid", torch.sigmoid), ("Tanh", torch.tanh), ("Erf", torch.erf),
             ("Exp", torch.exp), ("Log", torch.log), ("Sqrt", torch.sqrt), ("Reciprocal", torch.reciprocal),
             ("Neg", torch.neg), ("Abs", torch.abs), ("Sin", torch.sin), ("Cos", torch.cos),
             ("HardSigmoid", F.hardsigmoid), ("HardSwish", F.hardswish), ("LeakyRelu", F.leaky_relu),
             ("Elu", F.elu), ("Selu", F.selu), ("Celu", F.celu), ("Softplus", F.softplus),
             ("Softsign", F.softsign), ("Mish", F.mish)]
    C = [
        ("Conv", "1d", lambda x, w, b: F.conv1d(x, w, b, padding=1), [("x", (2, 8, 12)), ("w", (8, 8, 3)), ("w", (8,))], None),
        ("Conv", "2d", lambda x, w, b: F.conv2d(x, w, b, padding=1), [X4, ("w", (8, 8, 3, 3)), ("w", (8,))], None),
        ("Conv", "2d depthwise", lambda x, w: F.conv2d(x, w, groups=8), [X4, ("w", (8, 1, 3, 3))], None),
        ("Conv", "3d", lambda x, w, b: F.conv3d(x, w, b), [X5, ("w", (4, 4, 3, 3, 3)), ("w", (4,))], {"rank": 5}),
        ("ConvTranspose", "1d", lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2), [("x", (2, 8, 12)), ("w", (8, 4, 3)), ("w", (4,))], None),
        ("ConvTranspose", "2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2), [X4, ("w", (8, 4, 3, 3)), ("w", (4,))], None),
        ("ConvTranspose", "3d", lambda x, w: F.conv_transpose3d(x, w, stride=2), [X5, ("w", (4, 4, 2, 2, 2))], {"rank": 5}),
        ("MatMul", "nn.Linear on 3-d input (linear)", F.linear, [X3, ("w", (12, 16)), ("w", (12,))], None),
        ("MatMul", "x @ W, W a parameter (matmul)", torch.matmul, [X3, ("w", (16, 12))], None),
        ("MatMul", "q @ k^T, two activations (matmul)", lambda q, k: q @ k.transpose(-1, -2), [("x", (2, 3, 5, 8)), ("x", (2, 3, 5, 8))], None),
        ("MatMul", "bmm", torch.bmm, [("x", (4, 5, 8)), ("x", (4, 8, 6))], None),
        ("MatMul", "mm, two activations", torch.mm, [("x", (5, 8)), ("x", (8, 6))], None),
        ("Gemm", "nn.Linear on 2-d input (linear)", F.linear, [("x", (6, 16)), ("w", (12, 16)), ("w", (12,))], None),
        ("Gemm", "addmm", lambda x, w, b: torch.addmm(b, x, w.t()), [("x", (6, 16)), ("w", (12, 16)), ("w", (12,))], None),
        ("Einsum", "two activations", lambda a, b: torch.einsum("bik,bkj->bij", a, b), [("x", (4, 5, 8)), ("x", (4, 8, 6))], None),
        ("Einsum", "activation and parameter", lambda x, w: torch.einsum("bti,oi->bto", x, w), [X3, ("w", (12, 16))], None),
        ("Softmax", "last dim", lambda x: torch.softmax(x, -1), [("x", (2, 3, 5, 5))], None),
        ("LogSoftmax", "last dim", lambda x: F.log_softmax(x, -1), [("x", (2, 3, 5, 5))], None),
        ("LayerNormalization", "affine", lambda x, w, b: F.layer_norm(x, (16,), w, b), [X3] + W16, None),
        ("GroupNormalization", "affine", lambda x, w, b: F.group_norm(x, 4, w, b), [X4] + W8, None),
        ("InstanceNormalization", "affine", lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [X4] + W8, None),
        ("BatchNormalization", "eval (running statistics)", lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, False),
         [X4, ("buf", (8,)), ("buf", (8,))] + W8, None),
        ("BatchNormalization", "train (batch statistics)", lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, True),
         [X4, ("buf", (8,)), ("buf", (8,))] + W8, None),
        ("Clip", "relu6 (hardtanh)", F.relu6, [X4], None),
        ("Clip", "clamp(-1, 1)", lambda x: torch.clamp(x, -1.0, 1.0), [X4], None),
        ("Gelu", "erf", F.gelu, [X3], None),
        ("Gelu", "tanh", lambda x: F.gelu(x, approximate="tanh"), [X3], None),
        ("Pow", "tensor ** 2", lambda x: x.pow(2), [X3], None),
        ("Pow", "tensor ** tensor", torch.pow, [X3, X3], None),
        ("Div", "tensor / tensor", torch.div, [X3, X3], None),
        ("Div", "tensor / python scalar", lambda x: x / 3.0, [X3], None),
        ("Div", "python scalar / tensor (__rtruediv__)", lambda x: 1.0 / x, [X3], None),
        ("Add", "tensor + tensor", torch.add, [X3, X3], None),
        ("Add", "tensor + fp32 parameter", torch.add, [X3, ("w", (16,))], None),
        ("Add", "tensor + 0-d fp32 tensor", torch.add, [X3, ("s", 0.5)], None),
        ("Mul", "tensor * tensor", torch.mul, [X3, X3], None),
        ("Mul", "tensor * broadcast tensor (SE scale)", torch.mul, [X4, ("x", (2, 8, 1, 1))], None),
        ("Mul", "tensor * fp32 parameter", torch.mul, [X3, ("w", (16,))], None),
        ("Sub", "tensor - tensor", torch.sub, [X3, X3], None),
        ("Max", "maximum", torch.maximum, [X3, X3], None),
        ("Min", "minimum", torch.minimum, [X3, X3], None),
        ("ReduceMean", "last dim", lambda x: x.mean(-1), [X3], None),
        ("ReduceSum", "last dim", lambda x: x.sum(-1), [X3], None),
        ("ReduceMax", "last dim", lambda x: x.amax(-1), [X3], None),
        ("ReduceProd", "last dim", lambda x: x.prod(-1), [X3], None),
        ("ReduceL2", "norm", lambda x: torch.norm(x, dim=-1), [X3], None),
        ("ReduceLogSumExp", "logsumexp", lambda x: torch.logsumexp(x, -1), [X3], None),
        ("LpNormalization", "F.normalize", lambda x: F.normalize(x, dim=-1), [X3], None),
        ("MaxPool", "1d", lambda x: F.max_pool1d(x, 2), [("x", (2, 8, 12))], None),
        ("MaxPool", "2d", lambda x: F.max_pool2d(x, 2), [X4], None),
        ("MaxPool", "3d", lambda x: F.max_pool3d(x, 2), [X5], {"rank": 5}),
        ("AveragePool", "1d", lambda x: F.avg_pool1d(x, 2), [("x", (2, 8, 12))], None),
        ("AveragePool", "2d", lambda x: F.avg_pool2d(x, 2), [X4], None),
        ("AveragePool", "3d", lambda x: F.avg_pool3d(x, 2), [X5], {"rank": 5}),
        ("GlobalAveragePool", "2d (adaptive_avg_pool2d 1)", lambda x: F.adaptive_avg_pool2d(x, 1), [X4], None),
        ("GlobalAveragePool", "3d (adaptive_avg_pool3d 1)", lambda x: F.adaptive_avg_pool3d(x, 1), [X5], {"rank": 5}),
        ("GlobalMaxPool", "2d (adaptive_max_pool2d 1)", lambda x: F.adaptive_max_pool2d(x, 1), [X4], None),
        ("Resize", "nearest 1d", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), [("x", (2, 8, 12))], None),
        ("Resize", "nearest 2d", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), [X4], None),
        ("Resize", "bilinear 2d", lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), [X4], None),
        ("Resize", "bicubic 2d", lambda x: F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False), [X4], None),
        ("Resize", "nearest 3d", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), [X5], {"rank": 5}),
        ("Resize", "trilinear 3d", lambda x: F.interpolate(x, scale_factor=2, mode="trilinear", align_corners=False), [X5], {"rank": 5}),
        ("Pad", "constant", lambda x: F.pad(x, (1, 1, 1, 1)), [X4], None),
        ("Pad", "reflect 1d", lambda x: F.pad(x, (1, 1), mode="reflect"), [("x", (2, 8, 12))], {"mode": "reflect"}),
        ("Pad", "reflect 2d", lambda x: F.pad(x, (1, 1, 1, 1), mode="reflect"), [X4], {"mode": "reflect"}),
        ("Pad", "edge 2d (replicate)", lambda x: F.pad(x, (1, 1, 1, 1), mode="replicate"), [X4], {"mode": "edge"}),
        ("Concat", "two activations", lambda a, b: torch.cat([a, b], 1), [X4, X4], None),
        ("Concat", "activation and fp32 parameter (class token)", lambda x, w: torch.cat([w.expand(2, 1, 16), x], 1),
         [X3, ("w", (1, 1, 16))], None),
        ("Gather", "embedding (F.embedding of a parameter)", lambda i, w: F.embedding(i, w), [("idx", (2, 5), 10), ("w", (10, 16))], None),
        ("Gather", "index_select of an activation", lambda x, i: x.index_select(1, i), [X3, ("idx", (3,), 5)], None),
        ("GatherElements", "gather", lambda x, i: torch.gather(x, 2, i), [X3, ("idx", (2, 5, 4), 16)], None),
        ("Where", "two activations", lambda c, a, b: torch.where(c, a, b), [("mask", (2, 5, 16)), X3, X3], None),
        ("CumSum", "last dim", lambda x: torch.cumsum(x, -1), [X3], None),
        ("TopK", "values", lambda x: torch.topk(x, 3, -1)[0], [X3], None),
        ("Dropout", "train", lambda x: F.dropout(x, 0.1, True), [X3], None),
        ("GridSample", "bilinear", lambda x, g: F.grid_sample(x, g, align_corners=False), [X4, ("x", (2, 4, 4, 2))], None),
        ("PRelu", "per channel", F.prelu, [X4, ("w", (8,))], None),
        ("LSTM", "1 layer (nn.LSTM)", lstm, [X3, ("w", (4 * H, 16)), ("w", (4 * H, H)), ("w", (4 * H,)), ("w", (4 * H,))], None),
        ("GRU", "1 layer (nn.GRU)", gru, [X3, ("w", (3 * H, 16)), ("w", (3 * H, H)), ("w", (3 * H,)), ("w", (3 * H,))], None),
        ("RNN", "1 layer tanh (nn.RNN)", rnn, [X3, ("w", (H, 16)), ("w", (H, H)), ("w", (H,)), ("w", (H,))], None),
        ("SoftmaxCrossEntropyLoss", "F.cross_entropy", lambda x, t: F.cross_entropy(x, t), [("x", (6, 10)), ("idx", (6,), 10)], None),
        ("NegativeLogLikelihoodLoss", "F.nll_loss", lambda x, t: F.nll_loss(x, t), [("x", (6, 10)), ("idx", (6,), 10)], None),
    ]
    C += [(op, "elementwise", fn, [X3], None) for op, fn in unary]
    return C


# other ONNX names for the same PyTorch computation
AUTOCAST_ALIASES = {"Resize": ["Upsample"]}


def _ac_make(spec, low, dev, params_low=False, only=None, index=0):
    """A tensor for one argument spec (the index-th).  low: the activations' dtype (fp32 if None; when
    only is an index, only that argument gets it); params_low: parameters and buffers too."""
    kind = spec[0]
    g = torch.Generator().manual_seed(1234 + index)
    if kind == "x":
        t = torch.randn(*spec[1], generator=g)
        if low is not None and (only is None or index == only):
            t = t.to(low)
        return t.to(dev).requires_grad_()
    if kind == "w":
        t = torch.randn(*spec[1], generator=g)
        return (t.to(low) if params_low and low is not None else t).to(dev).requires_grad_()
    if kind == "buf":
        t = torch.rand(*spec[1], generator=g) + 0.5
        return (t.to(low) if params_low and low is not None else t).to(dev)
    if kind == "idx":
        return torch.randint(0, spec[2], spec[1], generator=g).to(dev)
    if kind == "mask":
        return (torch.rand(*spec[1], generator=g) > 0.5).to(dev)
    if kind == "s":
        return torch.tensor(spec[1], device=dev)
    raise ValueError(kind)


_DT = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16", torch.float64: "fp64"}


def _first_float(y):
    ys = y if isinstance(y, (tuple, list)) else (y,)
    for t in ys:
        if torch.is_tensor(t) and t.is_floating_point():
            return t
    return None


def _short(e):
    return f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"


def _ac_run(dev, low, fn, args, backward):
    """Run fn(*args) under autocast; returns (output dtype label or "error: ...", backward error or None)."""
    try:
        with torch.autocast(dev, dtype=low):
            y = fn(*args)
        t = _first_float(y)
        if t is None:
            return "none", None
        out = _DT.get(t.dtype, str(t.dtype))
    except Exception as e:  # noqa: BLE001 - an unsupported dtype is a result
        return "error: " + _short(e), None
    berr = None
    if backward and t.requires_grad:
        try:
            t.backward(torch.ones_like(t))  # outside the autocast region, as the AMP recipe runs it
        except Exception as e:  # noqa: BLE001
            berr = _short(e)
    return out, berr


def autocast_case(dev, low, case):
    """The output dtype of one case under torch.autocast(dev, low) for four input mixes:
      fp32     every input fp32 (the model's first layer, or any op fed by fp32 ops)
      low_in   the activations in the low dtype, parameters/buffers fp32 (an op fed by a
               lower-precision op, in a model whose weights are fp32: the AMP case)
      all_low  activations and parameters in the low dtype (tells autocast's fp32 policy, which
               casts up even then, from plain type promotion)
      mixed    the first activation low, the others fp32 (binary ops, Concat, Where)
    and whether the backward runs: the low_in run's (and the fp32 run's for an op autocast lowers,
    whose backward is then low precision too; the all_low run's where low_in fails forward)."""
    op, variant, fn, specs, when = case
    lowname = _DT[low]
    r = {"op": op, "variant": variant}
    if when:
        r["when"] = when
    first_x = next((i for i, s in enumerate(specs) if s[0] == "x"), None)
    mk = lambda **kw: [_ac_make(s, kw.get("low"), dev, kw.get("params_low", False), kw.get("first_only", None), i)
                       for i, s in enumerate(specs)]
    r["fp32"], b32 = _ac_run(dev, low, fn, mk(low=None), True)
    r["low_in"], blow = _ac_run(dev, low, fn, mk(low=low), True)
    r["all_low"], ball = _ac_run(dev, low, fn, mk(low=low, params_low=True), True)
    if sum(1 for s in specs if s[0] == "x") >= 2:
        r["mixed"], _ = _ac_run(dev, low, fn, mk(low=low, first_only=first_x), False)
    has_params = any(s[0] in ("w", "buf", "s") for s in specs)
    # the class
    if r["fp32"] == lowname:
        cls = "lower_precision"
    elif r["all_low"] == "fp32" or (r["all_low"].startswith("error") and r["low_in"] == "fp32" and not has_params):
        cls = "fp32"
    elif r["fp32"] == "fp32":
        # autocast leaves it alone: it runs in its inputs' type (its low-precision run may still fail:
        # a missing kernel is recorded as forward_error)
        cls = "promote"
    else:
        cls = "unsupported"
    r["class"] = cls
    # exceptions to "output = widest floating input" among the ops autocast leaves alone
    exc = []
    if cls == "promote":
        kinds = {s[0] for s in specs}
        if has_params and r["low_in"] == lowname:
            what = " and ".join(w for k, w in (("w", "fp32 parameters"), ("buf", "fp32 running statistics"),
                                               ("s", "a 0-d fp32 tensor")) if k in kinds)
            exc.append(f"a {lowname} activation with {what} gives {lowname}")
        if r.get("mixed") not in (None, "fp32") and not r.get("mixed", "").startswith("error"):
            exc.append(f"one {lowname} and one fp32 activation give {r['mixed']}")
    if exc:
        r["exceptions"] = exc
    if r["low_in"].startswith("error"):
        r["forward_error"] = r["low_in"][7:]
    # the low_in run's backward; the fp32 run's for a lower-precision op (its backward is low too);
    # the all_low run's where low_in could not run forward
    berr = blow or (b32 if cls == "lower_precision" else None) or (ball if r["low_in"].startswith("error") else None)
    if berr:
        r["backward_error"] = berr
    return r


def autocast_weight_cache(dev, low):
    """Does autocast cache the low-precision copy of a weight (aten/src/ATen/autocast_mode.cpp
    cached_cast: fp32 leaves that require grad, kept until the outermost region exits)?  Checked
    three ways: whether two F.linear calls on one parameter within a region use the same cast (the
    same ToCopyBackward0 node in their graphs and the same storage among autograd's saved tensors),
    and a third call in a new region a new one; the bytes still held after an inference-mode
    (no_grad) F.linear once its output is dropped; the same for a frozen weight (requires_grad
    False)."""
    x = torch.randn(64, 256, device=dev, requires_grad=True)
    w = torch.randn(512, 256, device=dev, requires_grad=True)
    wbytes = w.numel() * torch.empty((), dtype=low).element_size()
    saved = []

    def pack(t):
        if t.dtype == low and t.numel() == w.numel():
            st = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
            saved.append(st.data_ptr())
        return t

    def cast_node(y):
        """The ToCopyBackward0 node that casts w, in y's graph."""
        stack = [y.grad_fn]
        while stack:
            n = stack.pop()
            if n is None:
                continue
            if type(n).__name__ == "ToCopyBackward0" and any(
                    type(m).__name__ == "AccumulateGrad" and m.variable is w for m, _ in n.next_functions):
                return n
            stack += [m for m, _ in n.next_functions]
        return None

    res = {}
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with torch.autocast(dev, dtype=low):
            y1 = F.linear(x, w)
            y2 = F.linear(x, w)
        with torch.autocast(dev, dtype=low):
            y3 = F.linear(x, w)
    n1, n2, n3 = cast_node(y1), cast_node(y2), cast_node(y3)
    same_node = n1 is not None and n1 is n2
    same_storage = len(saved) == 3 and saved[0] == saved[1]
    res["reused_within_region"] = bool(same_node and same_storage)
    res["new_copy_in_next_region"] = bool(n3 is not None and n3 is not n1 and (len(saved) < 3 or saved[2] != saved[0]))
    del y1, y2, y3, n1, n2, n3
    meter = CudaMeter() if dev == "cuda" else CpuMeter()

    def held_after_linear(weight):
        with torch.no_grad(), torch.autocast(dev, dtype=low):
            def step():
                F.linear(x, weight)   # the output is dropped at once
            _, _, end, _ = meter.run(step)
        return end

    res["held_in_no_grad_bytes"] = held_after_linear(w)
    res["weight_low_bytes"] = wbytes
    res["held_frozen_weight_bytes"] = held_after_linear(w.detach().clone())
    res["cached"] = res["reused_within_region"]
    return res


def autocast_policy(dev="cpu", log=print):
    """Measure PyTorch's autocast policy on this device for every ONNX op type the C++ planner may
    see.  Returns the raw record (meta, per-variant results, the weight-cache check); see
    autocast_section for the profile's summary."""
    t0 = time.time()
    want = [torch.bfloat16] + ([torch.float16] if dev == "cuda" else [])
    accepted, rejected = [], {}
    for low in (torch.bfloat16, torch.float16):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with torch.autocast(dev, dtype=low):
                    y = F.linear(torch.randn(2, 4, device=dev), torch.randn(3, 4, device=dev))
            if y.dtype == low:
                accepted.append(_DT[low])
            else:
                rejected[_DT[low]] = f"autocast disabled itself: linear gave {_DT.get(y.dtype, str(y.dtype))}"
        except Exception as e:  # noqa: BLE001
            rejected[_DT[low]] = _short(e)
    out = {"meta": {"device": dev, "torch": torch.__version__, "date": datetime.date.today().isoformat()},
           "accepted_dtypes": accepted, "rejected_dtypes": rejected, "results": {}, "weight_cache": {}}
    for low in want:
        name = _DT[low]
        if name not in accepted:
            continue
        rs = []
        for case in autocast_cases():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = autocast_case(dev, low, case)
            rs.append(r)
            log(f"autocast {name} {r['op']:<26} {r['variant']:<44} {r['class']:<16} fp32->{r['fp32']:<5} "
                f"low->{r['low_in'][:40]:<5} all_low->{r['all_low'][:40]:<5}"
                + (f" mixed->{r['mixed'][:40]}" if "mixed" in r else "")
                + (f"  BACKWARD FAILS: {r['backward_error']}" if "backward_error" in r else ""))
        out["results"][name] = rs
        out["weight_cache"][name] = autocast_weight_cache(dev, low)
        log(f"autocast {name} weight cache: {out['weight_cache'][name]}")
    out["meta"]["wall_seconds"] = round(time.time() - t0, 1)
    return out


def _ac_when_text(when):
    return ", ".join(f"{k} {v}" for k, v in when.items())


def autocast_section(raw):
    """The profile's "autocast" section from autocast_policy's raw record (schema in
    resources/runtimes/README.md)."""
    meta = raw["meta"]
    dtypes = [d for d in ("fp16", "bf16") if d in raw["results"]]
    ref = raw["results"]["bf16" if "bf16" in dtypes else dtypes[0]]
    by_op = {}
    for r in ref:
        by_op.setdefault(r["op"], []).append(r)
    lists = {"lower_precision": [], "fp32": [], "promote": []}
    conditional, exceptions, unsupported, no_bwd, mixed = [], {}, {}, {}, {}
    for op, rs in by_op.items():
        plain = [r for r in rs if not r.get("when")] or rs
        classes = sorted({r["class"] for r in plain})
        if len(classes) > 1:
            print(f"calibrate.py: autocast: {op}'s variants disagree: "
                  + ", ".join(f"{r['variant']} = {r['class']}" for r in plain), file=sys.stderr)
        main = next(c for c in ("lower_precision", "fp32", "promote", "unsupported") if c in classes)
        names = [op] + AUTOCAST_ALIASES.get(op, [])
        if main == "unsupported":
            unsupported.update({n: plain[0].get("forward_error", "") for n in names})
        else:
            lists[main] += names
        for r in rs:
            if r.get("when") and r["class"] != main:
                for n in names:
                    same = [c for c in conditional if (c["op"], c["when"], c["class"]) == (n, r["when"], r["class"])]
                    if same:
                        same[0]["note"] += f", {r['variant']}"
                    else:
                        conditional.append({"op": n, "when": r["when"], "class": r["class"], "note": r["variant"]})
            if "mixed" in r and not r.get("when"):
                for n in names:
                    mixed.setdefault(n, set()).add(r["mixed"])
            for e in r.get("exceptions", []):
                for n in names:
                    exceptions.setdefault(n, []).append(f"{r['variant']}: {e}")
            if r.get("backward_error"):
                for n in names:
                    no_bwd.setdefault(n, []).append(f"{r['variant']}: {r['backward_error']}")
            if r.get("forward_error") and main != "unsupported":
                for n in names:
                    unsupported.setdefault(n, f"{r['variant']}: {r['forward_error']}")
    wc = raw["weight_cache"].get("bf16") or next(iter(raw["weight_cache"].values()))
    sec = {
        "measured": True,
        "source": f"resources/scripts/calibrate.py --autocast-only: each op's torch function run under "
                  f"torch.autocast('{meta['device']}', dtype) on fp32 inputs, on low-precision activations with fp32 "
                  f"parameters, on all-low-precision inputs and on mixed activations; the output dtype gives the class; "
                  f"backward run in the low dtype; torch {meta['torch']}, {meta['date']}",
        "torch": meta["torch"],
        "dtypes": dtypes,
    }
    if raw.get("rejected_dtypes"):
        sec["rejected_dtypes"] = raw["rejected_dtypes"]
    sec.update({
        "weight_cache": bool(wc.get("cached")),
        "weight_cache_detail": {
            "reused_within_region": wc.get("reused_within_region"),
            "new_copy_in_next_region": wc.get("new_copy_in_next_region"),
            "held_in_no_grad": wc.get("held_in_no_grad_bytes", 0) >= wc.get("weight_low_bytes", 1),
            "frozen_weights_cached": wc.get("held_frozen_weight_bytes", 0) >= wc.get("weight_low_bytes", 1),
        },
        "lower_precision": sorted(lists["lower_precision"]),
        "fp32": sorted(lists["fp32"]),
        "promote": sorted(lists["promote"]),
        "conditional": conditional,
        "promotion_exceptions": {k: v for k, v in sorted(exceptions.items())},
        # what Footprint's planner reads of the exceptions: operators whose fp32 parameters do not
        # widen their activation (Add's exception is the 0-d rule, which the planner applies itself)
        "follow_activation": sorted(k for k in exceptions if k != "Add"),
        "no_backward_in_low_precision": sorted(no_bwd),
        "no_backward_detail": {k: v for k, v in sorted(no_bwd.items())},
        "no_forward_in_low_precision": {k: v for k, v in sorted(unsupported.items())},
        # "low": the autocast dtype (the same name for fp16 and bf16 profiles)
        "mixed_activations_output": {k: "/".join(sorted("low" if d in ("fp16", "bf16") else d for d in v))
                                     for k, v in sorted(mixed.items())},
    })
    if len(dtypes) > 1:
        # a dtype whose classes differ from the reference one's
        other = {}
        for d in dtypes:
            if raw["results"][d] is ref:
                continue
            for a, b in zip(ref, raw["results"][d]):
                if a["class"] != b["class"]:
                    other.setdefault(d, []).append(f"{b['op']} {b['variant']}: {b['class']}")
        if other:
            sec["dtype_differences"] = other
    return sec


def autocast_report(raw):
    lines = []
    for d, rs in raw["results"].items():
        lines.append(f"autocast {d}:")
        for r in rs:
            lines.append(f"  {r['op']:<26} {r['variant']:<46} {r['class']:<16} fp32->{r['fp32'][:30]} "
                         f"low->{r['low_in'][:30]} all_low->{r['all_low'][:30]}"
                         + (f" mixed->{r['mixed'][:30]}" if "mixed" in r else "")
                         + (f"  backward: {r['backward_error']}" if "backward_error" in r else ""))
    return "\n".join(lines)


# ================================================================================================
# runtime profile
# ================================================================================================
def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure_all(runtime, quick, threads, log=print):
    meter = CudaMeter() if runtime == "pytorch-cuda" else CpuMeter()
    if runtime == "pytorch-cuda":
        torch.backends.cudnn.benchmark = False
    t0 = time.time()
    conv, convT, ops = [], [], []
    specs = conv_specs(quick)
    for i, sp in enumerate(specs):
        t = time.time()
        p = conv_point(meter, sp)
        conv.append(p)
        log(f"conv {i + 1}/{len(specs)} rank{sp['rank']} n{sp['n']} {sp['cin']}->{sp['cout']} {sp['spatial']} "
            f"k{sp['kernel']} s{sp['stride']} d{sp['dilation']} g{sp['groups']}: {p['backend']} "
            f"fwd {p['forward']} bwd {p['bwd']} out {p['output_bytes']} ({time.time() - t:.2f}s)")
    for sp in convT_specs(quick):
        p = convT_point(meter, sp)
        convT.append(p)
        log(f"convT {sp}: {p['backend']} fwd {p['forward']} bwd {p['bwd']}")
    for sp in op_specs(quick):
        p = op_point(meter, sp)
        ops.append(p)
        log(f"{sp[0]} {sp[1]} {sp[3]}: fwd {p['forward']} bwd {p['bwd']} saved+ {p['train_saved_beyond_output']}")
    autocast = autocast_policy(meter.device, log=log)
    granularity = charged_bytes_cuda(1) if runtime == "pytorch-cuda" else charged_bytes_cpu(1)
    meta = {"runtime": runtime, "torch": torch.__version__, "threads": threads,
            "device": torch.cuda.get_device_name() if runtime == "pytorch-cuda" else cpu_model(),
            "date": datetime.date.today().isoformat(), "wall_seconds": round(time.time() - t0, 1),
            "mkldnn": torch.backends.mkldnn.is_available(), "granularity_bytes": granularity,
            "quick": quick}
    if runtime == "pytorch-cuda":
        torch.cuda.empty_cache()
        free, total = torch.cuda.mem_get_info()
        meta["context_bytes"] = total - free - torch.cuda.memory_reserved()
    return {"format": "footprint-runtime-points", "version": 1, "meta": meta,
            "conv": conv, "conv_transpose": convT, "ops": ops, "autocast": autocast}


def build_profile(points):
    meta = points["meta"]
    ops_pts = list(points["ops"]) + [dict(p, op="ConvTranspose", variant=str(p["kernel"])) for p in points["conv_transpose"]]
    drop = [p for p in points["ops"] if p["op"] == "Dropout"]
    mask = max((p["train_saved_beyond_output"] / p["elements"] for p in drop), default=0)
    rules = fit_conv_rules(points["conv"], CUDA_CONV_RULES if meta["runtime"] == "pytorch-cuda" else CONV_RULES)
    prof = {
        "format": "footprint-runtime", "version": 1, "runtime": meta["runtime"], "measured": True,
        "source": f"resources/scripts/calibrate.py --runtime {meta['runtime']}, torch {meta['torch']}, "
                  f"{meta['device']}, {meta['threads']} thread{'s' if meta['threads'] != 1 else ''}, {meta['date']}",
        "allocator": {"granularity_bytes": meta["granularity_bytes"], "context_bytes": meta.get("context_bytes", 0)},
        "dropout_mask_bytes_per_element": int(math.ceil(mask - 1e-9)),
        # eager mode never fuses: a BatchNorm that an eval export folded into its convolution
        # still runs as its own kernel, with its own output (tests/zoo: wav2letter, wave_cnn)
        "runs_folded_batchnorm": True,
        # nn.MultiheadAttention and nn.TransformerEncoderLayer in inference run as PyTorch's library
        # code, fast paths included (core/memory.cpp findLibraryModules)
        "library_modules": True,
        "conv": [{k: r[k] for k in ("name", "match", "forward", "backward", "points", "worst_under", "worst_over",
                                    "worst_over_held") if k in r}
                 for r in rules],
        "ops": fit_ops(ops_pts),
    }
    if points.get("autocast"):
        prof["autocast"] = autocast_section(points["autocast"])
    if meta["runtime"] == "pytorch-cuda":
        # the caching allocator's documented constants (c10/cuda/CUDACachingAllocator.cpp), kept
        # beside the measured rounding and context, as in the documented pytorch-cuda.json
        prof["allocator"].update({"small_segment_bytes": 2097152, "small_request_max_bytes": 1048576,
                                  "large_segment_bytes": 20971520, "large_rounding_bytes": 2097152,
                                  "large_request_min_for_own_segment_bytes": 10485760,
                                  "cublas_workspace_bytes": 8519680})
    return prof, rules


def _terms(formula):
    """A formula as text: 1*I + max(1*O, 1*W) ..."""
    names = {"input": "I", "output": "O", "weight": "W", "columns_image": "Ci", "columns_batch": "Cb"}
    t = [f"{formula['const']}" if f == "const" else f"{c:g}*{names[f]}" for f, c in formula.items()
         if f != "max" for c in [formula[f]]]
    if formula.get("max"):
        t.append("max(" + ", ".join(_terms(a) for a in formula["max"]) + ")")
    return " + ".join(t) or "0"


def refit_report(rules, prof):
    lines = ["conv rules (over: vs the measured scratch | vs the layer's I+O+W; fwd / bwd):"]
    for r in rules:
        cf, cb = r["forward_fit"], r["backward_fit"]
        lines.append(f"  {r['name']}\n      match {json.dumps(r['match'])}  points {r['points']}  "
                     f"backends {r['backends_seen']}\n"
                     f"      forward  {_terms(r['forward'])}\n      backward {_terms(r['backward'])}\n"
                     f"      worst under {cf['worst_under']} / {cb['worst_under']}   worst over {cf['worst_over']} / "
                     f"{cb['worst_over']}   worst over vs I+O+W {cf['worst_over_held']} / {cb['worst_over_held']}   "
                     f"median over vs I+O+W {cf['median_over_held']} / {cb['median_over_held']}")
    lines.append("ops:")
    for op, e in prof["ops"].items():
        lines.append(f"  {op}: fwd {_terms(e['forward'])} bwd {_terms(e['backward'])} match {e.get('match', {})} "
                     f"points {e['points']} under {e['worst_under']} over {e['worst_over']}")
    return "\n".join(lines)


def points_path(out):
    return out[:-5] + ".points.json" if out.endswith(".json") else out + ".points.json"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=["cpu", "cuda"], default=None,
                   help="legacy mode: fixed overheads only (footprint-calibration)")
    p.add_argument("--runtime", choices=["pytorch-cpu", "pytorch-cuda"],
                   help="micro-benchmark the layers and write a runtime profile (footprint-runtime)")
    p.add_argument("--refit", metavar="POINTS", help="refit a profile from a saved .points.json (no measuring)")
    p.add_argument("--quick", action="store_true", help="a handful of shapes (checks the method, ~10 s)")
    p.add_argument("--autocast-only", action="store_true",
                   help="measure only the autocast policy (torch.autocast on this device) and replace the \"autocast\" "
                        "section of the profile (-o, or resources/runtimes/RUNTIME.json) in place; other keys are kept")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("-o", "--output", default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.refit:
        with open(a.refit) as f:
            pts = json.load(f)
        out = a.output or os.path.join("resources", "runtimes", pts["meta"]["runtime"] + ".json")
        prof, rules = build_profile(pts)
        if "autocast" not in prof and os.path.exists(out):
            # points from before the autocast measurement: keep the profile's section
            with open(out) as f:
                old = json.load(f)
            if "autocast" in old:
                prof["autocast"] = old["autocast"]
        with open(out, "w") as f:
            json.dump(prof, f, indent=1)
        print(refit_report(rules, prof))
        return
    if a.autocast_only:
        runtime = a.runtime or "pytorch-cpu"
        out = a.output or os.path.join("resources", "runtimes", runtime + ".json")
        dev = "cuda" if runtime == "pytorch-cuda" else "cpu"
        if dev == "cuda" and not torch.cuda.is_available():
            sys.exit("calibrate.py: --autocast-only --runtime pytorch-cuda needs a CUDA device")
        with open(out) as f:
            prof = json.load(f)
        if prof.get("format") != "footprint-runtime" or prof.get("runtime") != runtime:
            sys.exit(f"calibrate.py: {out} is not a {runtime} runtime profile")
        raw = autocast_policy(dev, log=lambda s: None)
        print(autocast_report(raw))
        prof["autocast"] = autocast_section(raw)
        with open(out, "w") as f:
            json.dump(prof, f, indent=1)
        print(f"wrote the autocast section of {out} ({raw['meta']['wall_seconds']} s)")
        return
    if a.runtime:
        out = a.output or os.path.join("resources", "runtimes", a.runtime + ".json")
        if a.runtime == "pytorch-cuda" and not torch.cuda.is_available():
            sys.exit("calibrate.py: --runtime pytorch-cuda needs a CUDA device")
        pts = measure_all(a.runtime, a.quick, a.threads, log=lambda s: print(s, flush=True))
        with open(points_path(out), "w") as f:
            json.dump(pts, f, separators=(",", ":"))
        prof, rules = build_profile(pts)
        with open(out, "w") as f:
            json.dump(prof, f, indent=1)
        print(refit_report(rules, prof))
        print(f"wrote {out} and {points_path(out)} ({pts['meta']['wall_seconds']} s of measuring)")
        return
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    legacy_calibration(device, a.output or "calibration.json")


if __name__ == "__main__":
    main()
