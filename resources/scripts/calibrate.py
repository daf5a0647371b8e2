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

    def c2(n, cin, cout, hw, k, s=1, d=1, g=1):
        hw = (hw, hw) if isinstance(hw, int) else tuple(hw)
        k = (k, k) if isinstance(k, int) else tuple(k)
        s = (s, s) if isinstance(s, int) else tuple(s)
        d = (d, d) if isinstance(d, int) else tuple(d)
        S.append({"rank": 4, "n": n, "cin": cin, "cout": cout, "spatial": list(hw), "kernel": list(k),
                  "stride": list(s), "dilation": list(d), "groups": g})

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
    pad = [(k // 2) * d for k, d in zip(sp["kernel"], sp["dilation"])]
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
            "channels_last": bool(p.get("channels_last", False))}


_BOUNDS = {"batch": "batch", "in_channels": "in_channels", "kernel_extent": "kernel_extent",
           "output_elements": "output_elements", "input_elements": "input_elements"}


def rule_matches(match, p):
    f = conv_facts(p)
    for key, v in match.items():
        if key in ("rank", "pointwise", "strided", "dilated", "depthwise", "grouped", "square", "unit_height",
                   "channels_last"):
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
    {"name": "oneDNN batch 1 strided (jit; gemm backward for asymmetric strides)",
     "match": {"batch_max": 1, "strided": True}, "forward": ONEDNN_FWD, "backward": BATCH1_STRIDED_BWD},
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
            "conv": conv, "conv_transpose": convT, "ops": ops}


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
        "conv": [{k: r[k] for k in ("name", "match", "forward", "backward", "points", "worst_under", "worst_over",
                                    "worst_over_held") if k in r}
                 for r in rules],
        "ops": fit_ops(ops_pts),
    }
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
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("-o", "--output", default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.refit:
        with open(a.refit) as f:
            pts = json.load(f)
        out = a.output or os.path.join("resources", "runtimes", pts["meta"]["runtime"] + ".json")
        prof, rules = build_profile(pts)
        with open(out, "w") as f:
            json.dump(prof, f, indent=1)
        print(refit_report(rules, prof))
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
