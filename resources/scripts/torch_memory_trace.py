#!/usr/bin/env python3
"""Record a PyTorch model's memory over one inference pass or training step as a trace that
Footprint reads (`footprint-cli compare MODEL TRACE`, or the timeline overlay).

Usage:
  torch_memory_trace.py --torchvision resnet18 --batch 4 [--resolution 224] [--mode inference|training]
                        [--device cpu|cuda] -o trace.json

On CUDA the samples are torch.cuda.memory_allocated() taken after every module's forward and
backward (hooks), plus torch.cuda.max_memory_allocated() as the peak. On the CPU they come from
the profiler's allocation events (torch.profiler.profile(profile_memory=True)), exact to the byte.
Either way the trace is absolute: it starts with the weights, buffers and input already allocated.
Run it with one thread (it sets torch.set_num_threads(1)) so peaks repeat.

Output, a JSON object:
  {"format": "footprint-memory-trace", "version": 1, "source": "...", "unit": "bytes",
   "peak_bytes": N, "samples": [[seconds, bytes], ...]}
"""
import argparse, json, time

import torch
import torchvision


def cpu_samples(run):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        run()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    events.sort(key=lambda e: e.start_us())
    if not events:
        return [], 0
    t0, live, samples = events[0].start_us(), 0, []
    for e in events:
        live += e.nbytes()
        samples.append([(e.start_us() - t0) / 1e6, live])
    return samples, max(s[1] for s in samples)


def cuda_samples(model, run):
    samples, t0 = [], time.perf_counter()

    def record(*_):
        torch.cuda.synchronize()
        samples.append([time.perf_counter() - t0, torch.cuda.memory_allocated()])

    handles = []
    for m in model.modules():
        handles.append(m.register_forward_hook(record))
        handles.append(m.register_full_backward_hook(record))
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    run()
    for h in handles:
        h.remove()
    return [[0.0, base]] + samples, torch.cuda.max_memory_allocated()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--torchvision", required=True, help="a torchvision.models constructor, e.g. resnet18")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--mode", choices=["inference", "training"], default="inference")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = getattr(torchvision.models, a.torchvision)(weights=None).to(a.device)
    x = torch.randn(a.batch, 3, a.resolution, a.resolution, device=a.device)
    if a.mode == "training":
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def run():
            opt.zero_grad(set_to_none=True)
            model(x).sum().backward()
            opt.step()
    else:
        model.eval()

        def run():
            with torch.no_grad():
                model(x)
    run()  # warm-up: allocator caches, lazy initialisation
    resident = sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers()))
    resident += x.numel() * x.element_size()
    if a.device == "cuda":
        samples, peak = cuda_samples(model, run)
    else:
        samples, peak = cpu_samples(run)
        samples = [[0.0, 0]] + samples
        samples = [[t, b + resident] for t, b in samples]
        peak += resident
    trace = {"format": "footprint-memory-trace", "version": 1, "unit": "bytes",
             "source": f"torch {torch.__version__} {a.device}: torchvision {a.torchvision}, batch {a.batch}, "
                       f"{a.resolution}x{a.resolution}, {a.mode}",
             "peak_bytes": peak, "samples": samples}
    with open(a.output, "w") as f:
        json.dump(trace, f)
    print(f"wrote {a.output}: {len(samples)} samples, peak {peak / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
