#!/usr/bin/python3
"""Ground-truth memory measurements (PyTorch, CPU, float32) for Footprint's estimator tests.

What it measures
----------------
For the torch modules that tests/models/{resnet18_train,mobilenet_v2_train,gpt2_2l,bert_2l}.onnx
were exported from (the classes / constructors are imported from tests/models/make_models.py,
which only exports when run as a script), at several batch / resolution / sequence configurations:

A. saved activations of one training forward pass (model.train(); dropout active in the vision
   models, whose ONNX files keep Dropout nodes, and off in the transformers, whose don't)
   - torch.autograd.graph.saved_tensors_hooks(pack, unpack) sees every tensor autograd saves.
     Each one is identified by its storage (t.storage().data_ptr(); torch 1.13 has no
     Tensor.untyped_storage) and counted once with its storage nbytes (a view counts its whole
     storage, e.g. q/k/v views of the fused c_attn output count the [B,T,3C] storage once).
   - Storages that belong to parameters or buffers are EXCLUDED (reported separately as
     excluded_param_bytes / excluded_buffer_bytes).
   - saved_activation_bytes = sum over the remaining distinct storages; input_bytes = the part of
     it that is the model's own input tensor(s) (e.g. the image saved by the first conv, the
     int64 input_ids saved by the embedding).
   - by_grad_fn: after the forward, the autograd graph is walked from every output's grad_fn
     (for BERT both last_hidden_state and pooler_output, so the pooler is included although the
     loss only uses last_hidden_state) and every node's `_saved_*` attributes are read.  pack()
     returns an index and unpack() records it, so each saved field is placed in exact forward
     (pack) order; a storage is attributed to the first node (in forward order) that saved it.
     For each node type: node count, bytes first attributed, and one example node with all its
     saved fields (tensor shape/dtype/bytes/kind, or the value of non-tensor fields); `variants`
     groups the nodes of a type by which tensor fields were saved (a `_saved_x` that reads None was
     not saved: torch 1.13 only saves what the needed gradients use, e.g. MulBackward0 by a
     constant saves only `other`).  `storage_sharing` counts which (node.field) combinations saved
     the same storage (e.g. in-place ReLU result = next conv's input).  The top-level
     "_grad_fn_saved_fields" merges these per node type over all configurations.
B. training_step_peak_bytes for one steady-state step, for SGD (no momentum), SGD momentum 0.9
   and Adam (all with foreach=False):
       warm-up step (so optimizer state exists), then zero_grad(set_to_none=True), then under
       torch.profiler.profile(activities=[CPU], profile_memory=True):
           record_function("zero_grad"): optimizer.zero_grad(set_to_none=True)   (no-op: grads already None)
           record_function("forward"):   out = model(*inputs)
           record_function("loss"):      loss = out.float().sum()   (GPT-2: logits; BERT: last_hidden_state)
           record_function("backward"):  loss.backward()
           record_function("optimizer"): optimizer.step()
       `out` and `loss` stay referenced until after optimizer.step() (as in a usual loop body).
   Memory events: prof.profiler.kineto_results.events(), name "[memory]", .nbytes() (negative =
   free), .start_us(); stable-sorted by start_us (they are already in order).  Running sum from 0
   at profiler start; step_peak_above_start_bytes = its maximum.
       training_step_peak_bytes = params_bytes + buffers_bytes + optimizer_state_bytes
                                  + step_peak_above_start_bytes
   held_at_start_bytes = what else is live when the step starts = the input tensor(s) (grads are
   None); training_step_peak_with_held_bytes adds it.  peak_phase says which record_function range
   holds the peak; phases gives each phase's peak / end running sum; curve is the running sum
   downsampled to <= 400 points [t_us relative to profiler start, bytes] keeping each bucket's
   maximum (so the peak is in the curve).
   Only allocations made through c10's CPU allocator are seen (all tensors; oneDNN/ideep buffers
   are routed through it by PyTorch).  OpenBLAS's own per-thread work buffers are not.
C. inference: model.eval(), torch.no_grad(), one warm-up forward, then one profiled forward:
   inference_peak_above_start_bytes = max running sum; inference_peak_bytes = that + params +
   buffers (the input is held at start and not included, as in B).

params_bytes / buffers_bytes are de-duplicated by storage (GPT-2's tied lm_head/wte counted once;
buffers are all registered buffers: BN running stats + num_batches_tracked, GPT-2 causal masks,
BERT position/token-type ids).  optimizer_state_bytes = sum over optimizer.state tensors (Adam's
'step' is a 4-byte float tensor in torch 1.13).

Findings worth knowing (torch 1.13, CPU)
---------------------------------------
- nn.Dropout in training on CPU is not native_dropout: at::dropout builds a float32 noise tensor
  (bernoulli / (1-p)) and multiplies, so the saved mask is a float32 tensor of the input's shape,
  saved by MulBackward0 as `other` (no NativeDropoutBackward0, no bool/uint8 mask).
- nn.ReLU(inplace=True): ReluBackward0 saves `result`, the same storage the next conv / maxpool /
  mean saves as its input -> counted once.  nn.ReLU6(inplace=True) (MobileNetV2) is different:
  hardtanh_ clones its input and HardtanhBackward0 saves that clone as `self`, so no sharing.
- MaxPool2DWithIndicesBackward0 saves `self` and the int64 indices `result1` (2x a float output).
- NativeBatchNormBackward0 saves `input`, weight, running stats and per-channel save_mean /
  save_invstd (`result1`/`result2`), not its output.
- Multiplying / dividing by a Python number saves a 0-dim float64 "wrapped number" (8 bytes).

How to rerun
------------
    apt-get install -y libopenblas0-openmp      # otherwise the reference BLAS makes GPT-2/BERT very slow
    cd tests/measure && /usr/bin/python3 measure_memory.py            # all configs -> ../models/measured.json
    /usr/bin/python3 measure_memory.py resnet18 gpt2                  # only configs whose key contains a word
                                                                      # (merged into the existing JSON)
Single thread (torch.set_num_threads(1), OMP_NUM_THREADS=1) so the peaks are exactly repeatable;
torch.manual_seed(0) before every model build / input.  Runs in a few minutes on 1 core, peak RSS
around 2 GB (GPT-2 batch 2 seq 256 with Adam).

Versions: Debian python3-torch 1.13 (reports 1.13.0a0), python3-torchvision 0.14, Python 3.11; the
exact versions used are written to measured.json "_meta".
"""

import gc
import importlib.util
import json
import os
import re
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torchvision  # noqa: E402

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.normpath(os.path.join(HERE, "..", "models"))
OUT_PATH = os.path.join(MODELS_DIR, "measured.json")

# make_models.py exports only under `if __name__ == "__main__"`; importing it just defines classes.
_spec = importlib.util.spec_from_file_location("make_models", os.path.join(MODELS_DIR, "make_models.py"))
mm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mm)
torch.set_num_threads(1)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def storage_of(t):
    """(data_ptr, nbytes) of the tensor's whole storage."""
    if hasattr(t, "untyped_storage"):  # torch >= 2.0
        s = t.untyped_storage()
        return s.data_ptr(), s.nbytes()
    s = t.storage()  # torch 1.13: TypedStorage
    return s.data_ptr(), s.nbytes()


def tensors_in(obj):
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        out = []
        for o in obj:
            out += tensors_in(o)
        return out
    if isinstance(obj, dict):
        out = []
        for o in obj.values():
            out += tensors_in(o)
        return out
    return []


def param_buffer_storages(model):
    params, buffers = {}, {}
    for p in model.parameters():
        ptr, nb = storage_of(p)
        params[ptr] = nb
    for b in model.buffers():
        ptr, nb = storage_of(b)
        if ptr not in params:
            buffers[ptr] = nb
    return params, buffers


def tensor_bytes(t):
    return t.numel() * t.element_size()


def dtype_name(dt):
    return str(dt).replace("torch.", "")


def input_desc(names, inputs):
    return [{"name": n, "shape": list(t.shape), "dtype": dtype_name(t.dtype), "bytes": tensor_bytes(t)}
            for n, t in zip(names, inputs)]


# ----------------------------------------------------------------------------------------------
# model configurations
# ----------------------------------------------------------------------------------------------
def vision_cfg(file, ctor, batch, h, w):
    def build():
        torch.manual_seed(0)
        return ctor(weights=None)

    def inputs():
        torch.manual_seed(0)
        return (torch.randn(batch, 3, h, w),)

    return {"key": f"{file}|batch={batch}|res={h}x{w}", "file": file, "build": build, "inputs": inputs,
            "input_names": ["input"], "loss": lambda out: out.float().sum(),
            "loss_desc": "output.float().sum()", "config": {"batch": batch, "height": h, "width": w}}


def without_dropout(model):
    """gpt2_2l.onnx and bert_2l.onnx were exported in eval mode and hold no Dropout nodes, so the
    graph Footprint analyses has none: train with the Dropout modules off to measure that graph.
    (On the CPU, dropout in training keeps a float32 mask the size of its input.)"""
    train = model.train

    def train_without_dropout(mode=True):
        train(mode)
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.eval()
        return model

    model.train = train_without_dropout
    return model


def gpt2_cfg(batch, seq):
    def build():
        torch.manual_seed(0)
        return without_dropout(mm.GPT2LMHeadModel(n_layer=2))

    def inputs():
        torch.manual_seed(0)
        return (torch.randint(0, 50257, (batch, seq)),)

    return {"key": f"gpt2_2l.onnx|batch={batch}|seq={seq}", "file": "gpt2_2l.onnx", "build": build,
            "inputs": inputs, "input_names": ["input_ids"], "loss": lambda out: out.float().sum(),
            "loss_desc": "logits.float().sum()",
            "config": {"batch": batch, "sequence": seq, "vocab_size": 50257, "n_embd": 768, "n_layer": 2,
                       "n_head": 12}}


def bert_cfg(batch, seq):
    def build():
        torch.manual_seed(0)
        return without_dropout(mm.BertModel())

    def inputs():
        torch.manual_seed(0)
        return (torch.randint(0, 30522, (batch, seq)), torch.ones(batch, seq, dtype=torch.long))

    return {"key": f"bert_2l.onnx|batch={batch}|seq={seq}", "file": "bert_2l.onnx", "build": build,
            "inputs": inputs, "input_names": ["input_ids", "attention_mask"],
            "loss": lambda out: out[0].float().sum(), "loss_desc": "last_hidden_state.float().sum()",
            "config": {"batch": batch, "sequence": seq, "hidden": 256, "layers": 2, "heads": 4,
                       "intermediate": 1024}}


R18, MBV2 = torchvision.models.resnet18, torchvision.models.mobilenet_v2
CONFIGS = [
    vision_cfg("resnet18_train.onnx", R18, 1, 224, 224),
    vision_cfg("resnet18_train.onnx", R18, 4, 224, 224),
    vision_cfg("resnet18_train.onnx", R18, 16, 224, 224),
    vision_cfg("resnet18_train.onnx", R18, 4, 160, 160),
    vision_cfg("resnet18_train.onnx", R18, 4, 320, 320),
    vision_cfg("mobilenet_v2_train.onnx", MBV2, 1, 224, 224),
    vision_cfg("mobilenet_v2_train.onnx", MBV2, 8, 224, 224),
    gpt2_cfg(1, 128),
    gpt2_cfg(2, 256),
    bert_cfg(2, 128),
    bert_cfg(8, 128),
]

OPTIMIZERS = {
    "sgd": ("torch.optim.SGD(lr=0.01, momentum=0, foreach=False)",
            lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.0, foreach=False)),
    "sgd_momentum": ("torch.optim.SGD(lr=0.01, momentum=0.9, foreach=False)",
                     lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, foreach=False)),
    "adam": ("torch.optim.Adam(lr=1e-3, foreach=False)",
             lambda ps: torch.optim.Adam(ps, lr=1e-3, foreach=False)),
}


# ----------------------------------------------------------------------------------------------
# A. saved activations
# ----------------------------------------------------------------------------------------------
def _field_value(v):
    def fix(x):  # int64 dims (e.g. -1) come back from 1.13 as uint64
        return x - 2**64 if isinstance(x, int) and not isinstance(x, bool) and x >= 2**63 else x
    if isinstance(v, (int, float, bool, str)) or v is None:
        return fix(v)
    if isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, bool)) for x in v):
        return [fix(x) for x in v]
    r = repr(v)
    return r if len(r) <= 80 else r[:77] + "..."


def measure_saved(cfg):
    model = cfg["build"]().train()
    inputs = cfg["inputs"]()
    params, buffers = param_buffer_storages(model)
    input_ptrs = {storage_of(t)[0] for t in inputs}

    packed = []          # pack index -> tensor
    last_unpacked = [None]

    def pack(t):
        packed.append(t)
        return len(packed) - 1

    def unpack(i):
        last_unpacked[0] = i
        return packed[i]

    torch.manual_seed(0)
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = model(*inputs)
        loss = cfg["loss"](out)

    # --- pack-hook totals (every tensor autograd saved during the forward)
    def kind_of(ptr):
        if ptr in params:
            return "param"
        if ptr in buffers:
            return "buffer"
        if ptr in input_ptrs:
            return "input"
        return "activation"

    seen = {}
    for t in packed:
        ptr, nb = storage_of(t)
        if ptr not in seen:
            seen[ptr] = (nb, kind_of(ptr), dtype_name(t.dtype))
    by_kind = {"activation": 0, "input": 0, "param": 0, "buffer": 0}
    by_dtype = {}
    for ptr, (nb, kind, dt) in seen.items():
        by_kind[kind] += nb
        if kind in ("activation", "input"):
            by_dtype[dt] = by_dtype.get(dt, 0) + nb
    saved_total = by_kind["activation"] + by_kind["input"]

    # --- graph walk: every node reachable from the outputs' grad_fns (and the loss)
    roots = [t.grad_fn for t in tensors_in(out) if t.grad_fn is not None] + [loss.grad_fn]
    nodes, stack, visited = [], list(roots), set()
    while stack:
        n = stack.pop()
        if n is None or id(n) in visited:
            continue
        visited.add(id(n))
        nodes.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None:
                stack.append(nxt)

    fields = []   # (pack_idx, node_no, type, field, tensor)
    node_fields = {}  # node_no -> [(field, value-or-tensor, pack_idx)]
    for no, n in enumerate(nodes):
        lst = []
        for a in sorted(dir(n)):
            if not a.startswith("_saved_"):
                continue
            try:
                last_unpacked[0] = None
                v = getattr(n, a)
            except Exception as e:  # noqa: BLE001
                lst.append((a, f"<error {type(e).__name__}>", None))
                continue
            if isinstance(v, torch.Tensor):
                idx = last_unpacked[0]
                lst.append((a, v, idx))
                fields.append((idx if idx is not None else 10**9, no, type(n).__name__, a, v))
            elif isinstance(v, (list, tuple)) and v and all(isinstance(x, torch.Tensor) for x in v):
                # a list of saved tensors: unpack indices are not individually recoverable; use order
                for k, x in enumerate(v):
                    lst.append((f"{a}[{k}]", x, None))
                    fields.append((10**9, no, type(n).__name__, f"{a}[{k}]", x))
            else:
                lst.append((a, v, None))
        node_fields[no] = lst

    fields.sort(key=lambda f: (f[0], f[1]))
    first_owner = {}     # ptr -> "Type.field"
    sharing = {}         # ptr -> list of "Type.field"
    per_type = {}
    graph_total = 0
    for idx, no, tname, fname, t in fields:
        ptr, nb = storage_of(t)
        k = kind_of(ptr)
        tag = f"{tname}.{fname}"
        d = per_type.setdefault(tname, {"nodes": set(), "bytes": 0, "activation_bytes": 0, "input_bytes": 0,
                                        "saved_fields_total_tensor_bytes": 0})
        d["nodes"].add(no)
        if k in ("activation", "input"):
            sharing.setdefault(ptr, []).append(tag)
            d["saved_fields_total_tensor_bytes"] += tensor_bytes(t)
            if ptr not in first_owner:
                first_owner[ptr] = tag
                d["bytes"] += nb
                d[k + "_bytes"] += nb
                graph_total += nb

    # one example node per type (the first in forward order)
    examples = {}
    type_first_node = {}
    for idx, no, tname, fname, t in fields:
        type_first_node.setdefault(tname, no)
    for no, n in enumerate(nodes):  # types with no tensor fields at all
        type_first_node.setdefault(type(n).__name__, no)
        per_type.setdefault(type(n).__name__, {"nodes": set(), "bytes": 0, "activation_bytes": 0,
                                               "input_bytes": 0, "saved_fields_total_tensor_bytes": 0})
        per_type[type(n).__name__]["nodes"].add(no)
    def example_of(no, tname):
        ex = {}
        for fname, v, _ in node_fields[no]:
            if isinstance(v, torch.Tensor):
                ptr, nb = storage_of(v)
                e = {"shape": list(v.shape), "dtype": dtype_name(v.dtype), "tensor_bytes": tensor_bytes(v),
                     "storage_bytes": nb, "kind": kind_of(ptr)}
                owner = first_owner.get(ptr)
                if owner and owner != f"{tname}.{fname}":
                    e["storage_first_saved_by"] = owner
                ex[fname] = e
            else:
                ex[fname] = _field_value(v)
        return ex

    for tname, no in type_first_node.items():
        examples[tname] = example_of(no, tname)

    # variants: which optional tensor fields were actually saved (a None _saved_ field = not saved)
    first_pack = {}
    for idx, no, tname, fname, t in fields:
        first_pack.setdefault(no, idx)
    variants = {}
    for no in sorted(range(len(nodes)), key=lambda i: (first_pack.get(i, 10**9), i)):  # forward order
        n = nodes[no]
        tname = type(n).__name__
        sig = []
        for fname, v, _ in node_fields[no]:
            if isinstance(v, torch.Tensor):
                sig.append(f"{fname}={kind_of(storage_of(v)[0])}:{dtype_name(v.dtype)}")
            elif v is None:
                sig.append(f"{fname}=None")
        sig = ", ".join(sig) if sig else "(no tensor fields)"
        tv = variants.setdefault(tname, {})
        if sig not in tv:
            tv[sig] = {"count": 0, "example": example_of(no, tname)}
        tv[sig]["count"] += 1

    by_grad_fn = {}
    for tname in sorted(per_type, key=lambda k: -per_type[k]["bytes"]):
        d = per_type[tname]
        by_grad_fn[tname] = {"nodes": len(d["nodes"]), "bytes": d["bytes"],
                             "input_bytes": d["input_bytes"],
                             "saved_fields_total_tensor_bytes": d["saved_fields_total_tensor_bytes"],
                             "example_saved_fields": examples.get(tname, {}),
                             "variants": variants.get(tname, {})}

    share_summary = {}
    for ptr, tags in sharing.items():
        if len(tags) > 1:
            key = " + ".join(tags)
            share_summary[key] = share_summary.get(key, 0) + 1

    res = {
        "saved_activation_bytes": saved_total,
        "input_bytes": by_kind["input"],
        "activation_bytes_excluding_input": by_kind["activation"],
        "excluded_param_bytes": by_kind["param"],
        "excluded_buffer_bytes": by_kind["buffer"],
        "distinct_storages": sum(1 for v in seen.values() if v[1] in ("activation", "input")),
        "pack_calls": len(packed),
        "by_dtype": by_dtype,
        "graph_walk_total_bytes": graph_total,
        "graph_nodes": len(nodes),
        "by_grad_fn": by_grad_fn,
        "storage_sharing": dict(sorted(share_summary.items(), key=lambda kv: -kv[1])),
        "output_shapes": [list(t.shape) for t in tensors_in(out)],
    }
    del out, loss, packed
    return res


# ----------------------------------------------------------------------------------------------
# profiler memory curve
# ----------------------------------------------------------------------------------------------
PHASES = ("zero_grad", "forward", "loss", "backward", "optimizer", "inference")


def memory_curve(prof):
    evs = list(prof.profiler.kineto_results.events())
    t0 = min(e.start_us() for e in evs) if evs else 0
    mem = [(e.start_us(), i, e.nbytes()) for i, e in enumerate(evs) if e.name() == "[memory]"]
    mem.sort(key=lambda x: (x[0], x[1]))
    ranges = {}
    for e in evs:
        if e.name() in PHASES:
            ranges[e.name()] = (e.start_us() - t0, e.start_us() - t0 + e.duration_us())
    curve, run = [], 0
    for ts, _, nb in mem:
        run += nb
        curve.append((ts - t0, run))
    return curve, ranges, len(mem)


def phase_of(t, ranges):
    for name, (a, b) in ranges.items():
        if a <= t <= b:
            return name
    return "outside"


def analyse(curve, ranges):
    if not curve:
        return {"peak": 0, "peak_t": 0, "peak_phase": "none", "end": 0, "phases": {}, "curve": []}
    pi = max(range(len(curve)), key=lambda i: curve[i][1])  # first maximum
    phases = {}
    for name, (a, b) in sorted(ranges.items(), key=lambda kv: kv[1][0]):
        inside = [c[1] for c in curve if a <= c[0] <= b]
        before = [c[1] for c in curve if c[0] < a]
        phases[name] = {"t_start_us": a, "t_end_us": b,
                        "at_start_bytes": before[-1] if before else 0,
                        "peak_bytes": max(inside) if inside else (before[-1] if before else 0),
                        "at_end_bytes": ([c[1] for c in curve if c[0] <= b] or [0])[-1]}
    # downsample to <= 400 points keeping each bucket's maximum
    n = len(curve)
    if n <= 400:
        ds = [list(c) for c in curve]
    else:
        ds = []
        for k in range(399):
            lo, hi = k * n // 399, (k + 1) * n // 399
            j = max(range(lo, hi), key=lambda i: curve[i][1])
            ds.append(list(curve[j]))
        ds.append(list(curve[-1]))
    return {"peak": max(0, curve[pi][1]), "peak_t": curve[pi][0], "peak_phase": phase_of(curve[pi][0], ranges),
            "end": curve[-1][1], "phases": phases, "curve": ds}


# ----------------------------------------------------------------------------------------------
# B. training step
# ----------------------------------------------------------------------------------------------
def measure_train(cfg, opt_name):
    desc, make_opt = OPTIMIZERS[opt_name]
    model = cfg["build"]().train()
    inputs = cfg["inputs"]()
    opt = make_opt(model.parameters())
    torch.manual_seed(0)

    # warm-up step: creates the optimizer state
    opt.zero_grad(set_to_none=True)
    out = model(*inputs)
    loss = cfg["loss"](out)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    del out, loss
    gc.collect()

    params, buffers = param_buffer_storages(model)
    params_bytes, buffers_bytes = sum(params.values()), sum(buffers.values())
    state_seen = {}
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, torch.Tensor):
                ptr, nb = storage_of(v)
                state_seen[ptr] = nb
    opt_state_bytes = sum(state_seen.values())
    grads_at_start = sum(tensor_bytes(p.grad) for p in model.parameters() if p.grad is not None)
    held_at_start = sum(storage_of(t)[1] for t in inputs) + grads_at_start

    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        with torch.profiler.record_function("zero_grad"):
            opt.zero_grad(set_to_none=True)
        with torch.profiler.record_function("forward"):
            out = model(*inputs)
        with torch.profiler.record_function("loss"):
            loss = cfg["loss"](out)
        with torch.profiler.record_function("backward"):
            loss.backward()
        with torch.profiler.record_function("optimizer"):
            opt.step()
        out_bytes = sum(tensor_bytes(t) for t in tensors_in(out))
        del out, loss
    grads_bytes = sum(tensor_bytes(p.grad) for p in model.parameters() if p.grad is not None)
    curve, ranges, n_events = memory_curve(prof)
    a = analyse(curve, ranges)
    res = {
        "optimizer": desc,
        "params_bytes": params_bytes,
        "buffers_bytes": buffers_bytes,
        "optimizer_state_bytes": opt_state_bytes,
        "held_at_start_bytes": held_at_start,
        "held_at_start_note": "input tensor(s) + grads (grads are None at start)",
        "step_peak_above_start_bytes": a["peak"],
        "training_step_peak_bytes": params_bytes + buffers_bytes + opt_state_bytes + a["peak"],
        "training_step_peak_with_held_bytes": params_bytes + buffers_bytes + opt_state_bytes + held_at_start
        + a["peak"],
        "peak_phase": a["peak_phase"],
        "peak_t_us": a["peak_t"],
        "end_of_step_above_start_bytes": a["end"],
        "grads_bytes_after_step": grads_bytes,
        "output_bytes": out_bytes,
        "memory_events": n_events,
        "phases": a["phases"],
        "curve": a["curve"],
    }
    del prof, opt, model
    gc.collect()
    return res


# ----------------------------------------------------------------------------------------------
# C. inference
# ----------------------------------------------------------------------------------------------
def measure_inference(cfg):
    model = cfg["build"]().eval()
    inputs = cfg["inputs"]()
    params, buffers = param_buffer_storages(model)
    with torch.no_grad():
        out = model(*inputs)  # warm-up
        del out
        gc.collect()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
            with torch.profiler.record_function("inference"):
                out = model(*inputs)
            out_bytes = sum(tensor_bytes(t) for t in tensors_in(out))
            del out
    curve, ranges, n_events = memory_curve(prof)
    a = analyse(curve, ranges)
    pb, bb = sum(params.values()), sum(buffers.values())
    return {
        "params_bytes": pb,
        "buffers_bytes": bb,
        "inference_peak_above_start_bytes": a["peak"],
        "inference_peak_bytes": pb + bb + a["peak"],
        "input_bytes": sum(storage_of(t)[1] for t in inputs),
        "output_bytes": out_bytes,
        "memory_events": n_events,
        "curve": a["curve"],
    }


# ----------------------------------------------------------------------------------------------
def main(argv):
    sel = [c for c in CONFIGS if not argv or any(w in c["key"] for w in argv)]
    result = {}
    if argv and os.path.exists(OUT_PATH):
        with open(OUT_PATH) as f:
            result = json.load(f)
    t_all = time.time()
    for cfg in sel:
        t0 = time.time()
        print(f"== {cfg['key']}", flush=True)
        inputs = cfg["inputs"]()
        entry = {"file": cfg["file"], "config": cfg["config"], "inputs": input_desc(cfg["input_names"], inputs),
                 "loss": cfg["loss_desc"], "dtype": "float32", "device": "cpu"}
        sa = measure_saved(cfg)
        entry["saved_activation_bytes"] = sa["saved_activation_bytes"]
        entry["saved_activations"] = sa
        gc.collect()
        entry["training"] = {}
        for on in OPTIMIZERS:
            entry["training"][on] = measure_train(cfg, on)
            gc.collect()
        entry["training_step_peak_bytes"] = {on: v["training_step_peak_bytes"] for on, v in entry["training"].items()}
        inf = measure_inference(cfg)
        entry["inference"] = inf
        entry["inference_peak_bytes"] = inf["inference_peak_bytes"]
        entry["inference_peak_above_start_bytes"] = inf["inference_peak_above_start_bytes"]
        entry["wall_s"] = round(time.time() - t0, 1)
        result[cfg["key"]] = entry
        tr = entry["training"]
        print(f"   saved={sa['saved_activation_bytes']} (graph {sa['graph_walk_total_bytes']}, input "
              f"{sa['input_bytes']}) train_peak sgd={tr['sgd']['training_step_peak_bytes']} "
              f"mom={tr['sgd_momentum']['training_step_peak_bytes']} adam={tr['adam']['training_step_peak_bytes']} "
              f"[{tr['sgd']['peak_phase']}/{tr['sgd_momentum']['peak_phase']}/{tr['adam']['peak_phase']}] "
              f"infer={inf['inference_peak_bytes']}  {entry['wall_s']}s", flush=True)

    # op-type table across all configs: one example of saved fields per grad_fn type
    op_table = {}
    for k, e in result.items():
        if k.startswith("_"):
            continue
        for tname, d in e["saved_activations"]["by_grad_fn"].items():
            if tname not in op_table:
                op_table[tname] = {"example_from": k, "saved_fields": d["example_saved_fields"], "variants": {}}
            for sig, v in d["variants"].items():
                ov = op_table[tname]["variants"].setdefault(
                    sig, {"nodes_in_all_configs": 0, "seen_in": [], "example_from": k, "example": v["example"]})
                ov["nodes_in_all_configs"] += v["count"]
                if e["file"] not in ov["seen_in"]:
                    ov["seen_in"].append(e["file"])
    result["_grad_fn_saved_fields"] = dict(sorted(op_table.items()))
    result["_meta"] = {
        "generated_by": "tests/measure/measure_memory.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "python": sys.version.split()[0],
        "num_threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "device": "cpu",
        "dtype": "float32",
        "profiler_api": "torch.profiler.profile(activities=[CPU], profile_memory=True); "
                        "prof.profiler.kineto_results.events(), name()=='[memory]', nbytes() (<0 = free), start_us()",
        "saved_tensor_api": "torch.autograd.graph.saved_tensors_hooks; storage identity t.storage().data_ptr(), "
                            "size t.storage().nbytes()",
        "optimizers": {k: v[0] for k, v in OPTIMIZERS.items()},
        "definitions": "see the docstring at the top of tests/measure/measure_memory.py",
        "last_run_wall_s": round(time.time() - t_all, 1),
        "last_run_configs": [c["key"] for c in sel],
        "configs_in_file": sorted(k for k in result if not k.startswith("_")),
    }
    ordered = {"_meta": result["_meta"]}
    ordered.update({k: result[k] for k in sorted(result) if k != "_meta"})
    text = json.dumps(ordered, indent=1)
    # put innermost lists of numbers (shapes, curve points) on one line
    text = re.sub(r"\[\s+([-+0-9.eE]+(?:,\s+[-+0-9.eE]+)*)\s+\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    with open(OUT_PATH, "w") as f:
        f.write(text + "\n")
    print(f"wrote {OUT_PATH} in {time.time() - t_all:.1f}s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
