#!/usr/bin/env python3
"""Measure a device's fixed memory overheads with PyTorch and write a Footprint calibration file
(`footprint-cli analyze MODEL --calibration FILE`, also in the GUI's command line).

Usage: calibrate.py [--device cpu|cuda] [-o calibration.json]

What it measures:
  context_bytes                 CUDA: memory the driver and runtime hold once PyTorch has
                                initialised the device (total - free - PyTorch's reserve). CPU: 0.
  allocation_granularity_bytes  the allocator's rounding: the size it charges for a 1-byte tensor
                                (CUDA's caching allocator: 512).
  conv_workspace                informational: for a grid of convolution shapes, the memory a
                                forward pass needed beyond its input, weight and output
                                (cuDNN's algorithm choice), beside Footprint's im2col figure.
Footprint applies the first two: every buffer is rounded up and the context is added as the
"runtime" category, so the estimate moves by exactly the measured overhead.
"""
import argparse, json

import torch


def charged_bytes_cpu(n):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        t = torch.empty(n, dtype=torch.uint8)
        del t
    sizes = [e.nbytes() for e in prof.profiler.kineto_results.events() if e.name() == "[memory]" and e.nbytes() > 0]
    return max(sizes) if sizes else n


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("-o", "--output", default="calibration.json")
    a = p.parse_args()
    torch.set_num_threads(1)
    out = {"format": "footprint-calibration", "version": 1, "torch": torch.__version__}
    if a.device == "cuda":
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
    with open(a.output, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: v for k, v in out.items() if k != "conv_workspace"}))


if __name__ == "__main__":
    main()
