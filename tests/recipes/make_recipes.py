#!/usr/bin/python3
"""Training recipes (issue 16): PyTorch CPU ground truth for mixed precision, activation checkpointing,
frozen layers and gradient accumulation, with the weight-free ONNX training exports they belong to.

Models and configurations
-------------------------
  resnet18      torchvision, 224 px, batch 2 and 8               (file resnet18_train_224.onnx)
  mobilenet_v2  torchvision, 224 px, batch 2 and 8               (file mobilenet_v2_train_224.onnx)
  gpt2_4l       make_models.GPT2LMHeadModel, 4 layers, 512 hidden, 8 heads, tied lm_head,
                batch 4, sequence 128 and 256                    (file gpt2_4l_train.onnx)
  bert_4l       make_models.BertModel, 4 layers, 512 hidden, 8 heads, FFN 2048,
                batch 4, sequence 128 and 256                    (file bert_4l_train.onnx)
The models, their losses (output.float().sum(); BERT: last_hidden_state.float().sum()), Dropout
(active, p as built) and the exports (model.train(), TrainingMode.TRAINING, do_constant_folding=False,
opset 13 vision / 14 text, "batch" (and "sequence") dynamic) are the zoo's: this script takes the
configurations of tests/zoo/make_zoo.py's plan() and calls its export() and validate(), which strip
the weights with make_models.save_stripped (every initializer >= 1 KiB becomes absent external data).
Each model is exported once, unwrapped; the recipes change only how the torch model is run.

Recipes (every one a steady-state Adam step, torch.optim.Adam(lr=1e-3, foreach=False))
--------------------------------------------------------------------------------------
  plain          measure_memory.measure_train(cfg, "adam"), as the zoo.
  autocast_bf16  forward and loss under torch.autocast("cpu", dtype=torch.bfloat16) (no GradScaler),
                 backward and step outside: the model is wrapped in a module whose forward runs the
                 original under autocast, and the loss runs under its own autocast context; then
                 measure_train(cfg, "adam") as is.  (One context around forward + loss would hold the
                 same memory: autocast's cast cache only keeps weight casts, which the graph saves.)
  checkpoint     every block (ResNet layerN.M, MobileNetV2 features.1..17, GPT-2 h.N, BERT layer.N)
                 replaced by a wrapper whose forward is
                 torch.utils.checkpoint.checkpoint(block, *args, use_reentrant=False); measure_train.
  frozen         every parameter requires_grad=False except the last block(s) and the head
                 (ResNet layer4 + fc; MobileNetV2 features.17, features.18 + classifier; GPT-2 h.3 +
                 ln_f + lm_head; BERT layer.3 + pooler_dense).  GPT-2's lm_head weight IS wte's (tied):
                 making lm_head trainable makes the token embedding trainable, so the gradient flows
                 back through all layers to the embedding lookup.  BERT's pooler gets no gradient
                 (the loss does not use pooler_output), so Adam keeps no state for it.  BatchNorm in
                 the frozen part stays in train mode (batch statistics, running stats updated).
                 Adam gets only the trainable parameters: measured with measure_step() below.
  micro_batch    gradient accumulation: batch B as B/m micro-batches of m (m = 2 for B >= 4, else 1):
                 zero_grad, then per micro-batch forward + loss + backward (grads accumulate; the loss is
                 a sum, so no 1/k scaling is needed for the gradient of the full-batch loss), then one
                 optimizer step, all under one profiler: measure_step() below.  The input is the full
                 batch (held at start); micro-batches are views of it.

measure_step(cfg, micro=None) is measure_train(cfg, "adam") with two changes: Adam gets only the
parameters with requires_grad, and with `micro` the forward/loss/backward run once per micro-batch
(record_function "forward#i", "loss#i", "backward#i").  The curve and phases come from
measure_memory.memory_curve() and analyse().  Self-check: for every configuration it is run on the
plain recipe, and measure_train on the frozen one (Adam over all parameters skips those without a
gradient), and every figure must agree byte for byte (recorded in _meta.self_checks).

Figures per entry (key "<model>|b<B>|<224|s128|s256>|<recipe>")
---------------------------------------------------------------
  params_bytes, buffers_bytes, optimizer_state_bytes, held_at_start_bytes (the input),
  training_step_peak_with_held_bytes = params + buffers + optimizer state + input + peak above start,
  step_peak_above_start_bytes, peak_phase (micro_batch: the phase without "#i" and peak_micro_batch),
  phases {name: {peak_bytes, at_end_bytes}} (running sum above the step's start), phase_peak_bytes
  {zero_grad, forward, loss, backward, optimizer: the highest peak of that phase (over micro-batches)},
  trainable_params / trainable_params_bytes (torch, tied weights once),
  saved_activation_bytes (measure_memory.measure_saved: storages once, params/buffers excluded, the
      input included when saved; micro_batch: one micro-batch's forward; checkpoint: only what is saved
      OUTSIDE the checkpointed blocks -- checkpoint's own saved-tensor hooks take precedence, and the
      block inputs it keeps are held by a closure, which no hook sees),
  held_after_forward_bytes = the running sum when backward starts minus when forward starts (micro_batch:
      for the first micro-batch): everything the forward + loss left alive -- saved tensors, what
      checkpoint keeps, the output and the loss.  The one figure comparable across all recipes.
  autocast_bf16 also: saved_weight_cast_bytes, the bf16 copies of weights that autocast made and the graph
      saves (tensors whose grad_fn is ToCopyBackward0 of a leaf parameter); they are inside
      saved_activation_bytes.
  footprint_args: the footprint-cli analyze options meaning the same (without the model file; see
      footprint_command), with --checkpoint / --train-only globs checked against the exported node names
      (_meta.glob_checks).
A model that cannot run a recipe is not an entry: _meta.not_measurable gives the key, the exact error and
what could still be measured.

How to rerun
------------
    cd /work/main && nice -n 5 /usr/bin/python3 tests/recipes/make_recipes.py      # everything missing
    /usr/bin/python3 tests/recipes/make_recipes.py --list                          # the plan
    /usr/bin/python3 tests/recipes/make_recipes.py --only resnet18 --redo          # substring filters on keys
    /usr/bin/python3 tests/recipes/make_recipes.py --reexport --redo               # everything again
Resumable: keys already in recipes.json are skipped; it is rewritten after every entry.  One thread
(torch.set_num_threads(1)), torch.manual_seed(0): the peaks repeat exactly.
"""

import argparse
import datetime
import gc
import importlib.util
import json
import os
import re
import sys
import time
import traceback

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.utils.checkpoint  # noqa: E402
import torchvision  # noqa: E402

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")
OUT = os.path.join(HERE, "recipes.json")
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

# tests/zoo/make_zoo.py imports tests/measure/measure_memory.py (zoo.mmem), which imports
# tests/models/make_models.py (zoo.mm); none of them does anything on import.
_spec = importlib.util.spec_from_file_location("make_zoo", os.path.join(HERE, "..", "zoo", "make_zoo.py"))
zoo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(zoo)
mmem, mm = zoo.mmem, zoo.mm
torch.set_num_threads(1)

RECIPES = ("plain", "autocast_bf16", "checkpoint", "frozen", "micro_batch")
ADAM = "adam"


# ----------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------
def _blocks(prefix, n):
    return [f"{prefix}{i}" for i in range(n)]


MODEL_SPECS = {
    "resnet18": dict(
        zoo_key="resnet18|train|b8|224", kind="vision", res=224, configs=[2, 8],
        blocks=[f"layer{i}.{j}" for i in range(1, 5) for j in range(2)],
        block_scopes=[f"/layer{i}/layer{i}.{j}" for i in range(1, 5) for j in range(2)],
        checkpoint_globs=["/layer?/layer?.?"],
        trainable=["layer4", "fc"], train_only_globs=["/layer4", "/fc"]),
    "mobilenet_v2": dict(
        zoo_key="mobilenet_v2|train|b8|224", kind="vision", res=224, configs=[2, 8],
        blocks=[f"features.{i}" for i in range(1, 18)],
        block_scopes=[f"/features/features.{i}" for i in range(1, 18)],
        # features.0 and features.18 are Conv2dNormActivation, not InvertedResidual: globs with * and ?
        # cannot pick 1..17 out of 0..18, so every scope is named
        checkpoint_globs=[f"/features/features.{i}" for i in range(1, 18)],
        trainable=["features.17", "features.18", "classifier"],
        train_only_globs=["/features/features.17", "/features/features.18", "/classifier"]),
    "gpt2_4l": dict(
        zoo_key="gpt2_4l|train|b4|s128", kind="text", configs=[(4, 128), (4, 256)],
        blocks=_blocks("h.", 4), block_scopes=[f"/h.{i}" for i in range(4)], checkpoint_globs=["/h.?"],
        trainable=["h.3", "ln_f", "lm_head"], train_only_globs=["/h.3", "/ln_f", "/lm_head"]),
    "bert_4l": dict(
        zoo_key="bert_4l|train|b4|s128", kind="text", configs=[(4, 128), (4, 256)],
        blocks=_blocks("layer.", 4), block_scopes=[f"/layer.{i}" for i in range(4)],
        checkpoint_globs=["/layer.?"],
        trainable=["layer.3", "pooler_dense"], train_only_globs=["/layer.3", "/pooler_dense"]),
}

FROZEN_NOTES = {
    "gpt2_4l": "lm_head.weight is wte.weight (tied, one Parameter): making lm_head trainable makes the token "
               "embedding trainable too, so the gradient flows back through the frozen layers h.0..h.2 to the "
               "embedding lookup (their activations are still saved for it) and Adam keeps state for the "
               "shared vocab x hidden matrix",
    "bert_4l": "pooler_dense is trainable but gets no gradient: the loss (last_hidden_state.float().sum()) does "
               "not use pooler_output, so Adam skips it (no state); it is in trainable_params",
    "resnet18": "BatchNorm layers of the frozen part stay in train mode (batch statistics, running stats updated)",
    "mobilenet_v2": "BatchNorm layers of the frozen part stay in train mode (batch statistics, running stats "
                    "updated)",
}


def micro_of(batch):
    return 2 if batch >= 4 else 1


class CheckpointBlock(nn.Module):
    """Runs the wrapped block under non-reentrant activation checkpointing."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, *args):
        return torch.utils.checkpoint.checkpoint(self.block, *args, use_reentrant=False)


class AutocastModel(nn.Module):
    """Runs the wrapped model's forward under CPU bf16 autocast."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *args):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.model(*args)


def replace_submodule(model, path, new):
    parent, _, name = path.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, name, new)


def freeze_except(model, keep):
    for p in model.parameters():
        p.requires_grad_(False)
    for path in keep:
        for p in model.get_submodule(path).parameters():
            p.requires_grad_(True)
    return model


def recipe_cfg(base, spec, recipe):
    """measure_memory-style cfg dict (build / inputs / loss) for one recipe."""
    build, loss = base["build"], base["loss"]
    if recipe == "autocast_bf16":
        def ac_build():
            return AutocastModel(build())

        def ac_loss(out):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return loss(out)
        return {"build": ac_build, "inputs": base["inputs"], "loss": ac_loss}
    if recipe == "checkpoint":
        def ck_build():
            m = build()
            for path in spec["blocks"]:
                replace_submodule(m, path, CheckpointBlock(m.get_submodule(path)))
            return m
        return {"build": ck_build, "inputs": base["inputs"], "loss": loss}
    if recipe == "frozen":
        return {"build": lambda: freeze_except(build(), spec["trainable"]), "inputs": base["inputs"], "loss": loss}
    return {"build": build, "inputs": base["inputs"], "loss": loss}


def configurations():
    """One dict per (model, batch/sequence): the zoo's plan() entry with this script's shapes."""
    plan = {c["key"]: c for c in zoo.plan()}
    out = []
    for name, spec in MODEL_SPECS.items():
        z = plan[spec["zoo_key"]]
        for c in spec["configs"]:
            if spec["kind"] == "vision":
                b, res = c, spec["res"]

                def inputs(b=b, res=res, n=None):
                    torch.manual_seed(0)
                    return (torch.randn(n or b, 3, res, res),)
                tag, config, dims = str(res), {"batch": b, "height": res, "width": res,
                                                "input_shape": [b, 3, res, res]}, []
            else:
                b, s = c
                tin = zoo.TEXT[name]["inputs"]

                def inputs(b=b, s=s, n=None, tin=tin):
                    torch.manual_seed(0)
                    return tin(n or b, s)
                tag, config, dims = f"s{s}", {"batch": b, "sequence": s, "input_shape": [b, s]}, [f"sequence={s}"]
            out.append(dict(zoo=z, model=name, spec=spec, batch=b, tag=tag, config=config, dims=dims,
                            base={"build": z["build"], "inputs": inputs, "loss": z["loss"]}))
    return out


# ----------------------------------------------------------------------------------------------
# measuring: measure_memory.measure_train generalised (Adam over trainable params, micro-batches)
# ----------------------------------------------------------------------------------------------
PHASE_RE = re.compile(r"^(zero_grad|forward|loss|backward|optimizer)(#\d+)?$")


def phase_ranges(prof):
    """Like memory_curve's ranges, but also for the numbered micro-batch phases (same time origin)."""
    evs = list(prof.profiler.kineto_results.events())
    t0 = min(e.start_us() for e in evs) if evs else 0
    ranges = {}
    for e in evs:
        if PHASE_RE.match(e.name()):
            ranges[e.name()] = (e.start_us() - t0, e.start_us() - t0 + e.duration_us())
    return ranges


def measure_step(cfg, micro=None):
    desc, make_opt = mmem.OPTIMIZERS[ADAM]
    model = cfg["build"]().train()
    inputs = cfg["inputs"]()
    opt = make_opt([p for p in model.parameters() if p.requires_grad])
    torch.manual_seed(0)
    if micro:
        b = inputs[0].shape[0]
        chunks = [tuple(t[i:i + micro] for t in inputs) for i in range(0, b, micro)]
    else:
        chunks = [inputs]

    def rf(name, i):
        return torch.profiler.record_function(name if micro is None else f"{name}#{i}")

    # warm-up step: creates the optimizer state
    opt.zero_grad(set_to_none=True)
    for x in chunks:
        out = model(*x)
        loss = cfg["loss"](out)
        loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    del out, loss
    gc.collect()

    params, buffers = mmem.param_buffer_storages(model)
    params_bytes, buffers_bytes = sum(params.values()), sum(buffers.values())
    state_seen = {}
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, torch.Tensor):
                ptr, nb = mmem.storage_of(v)
                state_seen[ptr] = nb
    opt_state_bytes = sum(state_seen.values())
    grads_at_start = sum(mmem.tensor_bytes(p.grad) for p in model.parameters() if p.grad is not None)
    held_at_start = sum(mmem.storage_of(t)[1] for t in inputs) + grads_at_start

    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        with torch.profiler.record_function("zero_grad"):
            opt.zero_grad(set_to_none=True)
        for i, x in enumerate(chunks):
            with rf("forward", i):
                out = model(*x)
            with rf("loss", i):
                loss = cfg["loss"](out)
            with rf("backward", i):
                loss.backward()
        with torch.profiler.record_function("optimizer"):
            opt.step()
        out_bytes = sum(mmem.tensor_bytes(t) for t in mmem.tensors_in(out))
        del out, loss
    grads_bytes = sum(mmem.tensor_bytes(p.grad) for p in model.parameters() if p.grad is not None)
    curve, _ranges, n_events = mmem.memory_curve(prof)
    a = mmem.analyse(curve, phase_ranges(prof))
    res = {
        "optimizer": desc,
        "params_bytes": params_bytes,
        "buffers_bytes": buffers_bytes,
        "optimizer_state_bytes": opt_state_bytes,
        "held_at_start_bytes": held_at_start,
        "step_peak_above_start_bytes": a["peak"],
        "training_step_peak_bytes": params_bytes + buffers_bytes + opt_state_bytes + a["peak"],
        "training_step_peak_with_held_bytes": params_bytes + buffers_bytes + opt_state_bytes + held_at_start
        + a["peak"],
        "peak_phase": a["peak_phase"],
        "end_of_step_above_start_bytes": a["end"],
        "grads_bytes_after_step": grads_bytes,
        "output_bytes": out_bytes,
        "memory_events": n_events,
        "phases": a["phases"],
    }
    del prof, opt, model
    gc.collect()
    return res


SELF_CHECK_FIELDS = ("params_bytes", "buffers_bytes", "optimizer_state_bytes", "held_at_start_bytes",
                     "step_peak_above_start_bytes", "training_step_peak_with_held_bytes", "peak_phase",
                     "end_of_step_above_start_bytes", "grads_bytes_after_step", "output_bytes", "memory_events")


def compare(a, b):
    diffs = {k: [a[k], b[k]] for k in SELF_CHECK_FIELDS if a[k] != b[k]}
    pa = {p: (v["peak_bytes"], v["at_end_bytes"]) for p, v in a["phases"].items()}
    pb = {p: (v["peak_bytes"], v["at_end_bytes"]) for p, v in b["phases"].items()}
    if pa != pb:
        diffs["phases"] = [pa, pb]
    return diffs


def autocast_weight_casts(cfg):
    """Bytes of the distinct storages autograd saves that are autocast's casts of parameters."""
    model = cfg["build"]().train()
    inputs = cfg["inputs"]()
    params, buffers = mmem.param_buffer_storages(model)
    seen = {}

    def pack(t):
        ptr, nb = mmem.storage_of(t)
        if ptr not in params and ptr not in buffers and ptr not in seen:
            base = t._base if t._base is not None else t  # fc's weight is saved as a t() view of its cast
            gf = base.grad_fn
            cast = (gf is not None and type(gf).__name__ == "ToCopyBackward0"
                    and any(n is not None and type(n).__name__ == "AccumulateGrad" for n, _ in gf.next_functions))
            seen[ptr] = (nb, cast, mmem.dtype_name(t.dtype))
        return t

    torch.manual_seed(0)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(*inputs)
        loss = cfg["loss"](out)
    casts = [v for v in seen.values() if v[1]]
    res = {"saved_weight_cast_bytes": sum(v[0] for v in casts), "saved_weight_casts": len(casts),
           "saved_weight_cast_dtypes": sorted({v[2] for v in casts})}
    del out, loss, model
    gc.collect()
    return res


def trainable_count(cfg):
    model = cfg["build"]()
    seen = {}
    for p in model.parameters():  # a tied Parameter appears once
        if p.requires_grad:
            seen[mmem.storage_of(p)[0]] = (p.numel(), mmem.tensor_bytes(p))
    n, nb = sum(v[0] for v in seen.values()), sum(v[1] for v in seen.values())
    del model
    return n, nb


def slim_phases(phases):
    return {p: {"peak_bytes": v["peak_bytes"], "at_end_bytes": v["at_end_bytes"]} for p, v in phases.items()}


def phase_peaks(phases):
    out = {}
    for p, v in phases.items():
        k = p.split("#")[0]
        out[k] = max(out.get(k, v["peak_bytes"]), v["peak_bytes"])
    return out


# ----------------------------------------------------------------------------------------------
# Footprint's command line and the glob checks on the exported graph
# ----------------------------------------------------------------------------------------------
def glob_regex(g):
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in g) + r"\Z")


def scopes_of(name):
    """'/layer1/layer1.0/conv1/Conv' -> ['/layer1', '/layer1/layer1.0', '/layer1/layer1.0/conv1']."""
    if not name.startswith("/"):
        return []
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(2, len(parts))]


def matched_segment(name, regs):
    """The outermost scope (or the name itself) that a glob matches, or None."""
    for s in scopes_of(name) + [name]:
        if any(r.match(s) for r in regs):
            return s
    return None


def glob_checks(spec, path, cfg_frozen):
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    # checkpoint: the outermost matched scopes must be exactly the checkpointed blocks' scopes
    regs = [glob_regex(x) for x in spec["checkpoint_globs"]]
    segs = {}
    for n in g.node:
        s = matched_segment(n.name, regs)
        if s is not None:
            segs[s] = segs.get(s, 0) + 1
    ck = {"globs": spec["checkpoint_globs"], "segments": segs, "expected_scopes": spec["block_scopes"],
          "ok": sorted(segs) == sorted(spec["block_scopes"])}
    unscoped = [n for n in g.node if not n.name.startswith("/")]
    if unscoped:
        ck["unscoped_nodes"] = {"count": len(unscoped), "op_types": sorted({n.op_type for n in unscoped}),
                                "note": "torch 1.13 leaves these (Constant) nodes without a scope although they "
                                        "are created inside the blocks; no glob matches them"}
    # train-only: the parameters consumed by matched nodes must be torch's trainable parameters
    regs = [glob_regex(x) for x in spec["train_only_globs"]]
    inits = {t.name: t for t in g.initializer}
    consumed = {}
    for n in g.node:
        if matched_segment(n.name, regs) is None:
            continue
        for k, i in enumerate(n.input):
            if i in inits:
                consumed.setdefault(i, []).append((n.op_type, k))
    model = cfg_frozen["build"]()
    pnames = dict(model.named_parameters())  # a tied Parameter appears once, under its first name
    torch_n = sum(p.numel() for p in {id(p): p for p in model.parameters() if p.requires_grad}.values())
    del model

    def numel(t):
        n = 1
        for d in t.dims:
            n *= d
        return n
    by_name = sum(numel(inits[i]) for i in consumed if i in pnames)
    floats = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16, onnx.TensorProto.DOUBLE)
    # the rule an ONNX reader can apply: float initializers, minus BatchNormalization's running stats
    by_rule_names = [i for i, uses in consumed.items() if inits[i].data_type in floats
                     and not all(op == "BatchNormalization" and k in (3, 4) for op, k in uses)]
    by_rule = sum(numel(inits[i]) for i in by_rule_names)
    others = sorted(i for i in consumed if i not in pnames)
    to = {"globs": spec["train_only_globs"], "torch_trainable_params": torch_n,
          "onnx_params_consumed_by_matched_nodes": by_name,
          "onnx_float_initializers_consumed_excluding_bn_stats": by_rule,
          "consumed_non_parameter_initializers": others,
          "ok": by_name == torch_n and by_rule == torch_n}
    return {"checkpoint": ck, "train_only": to}


def footprint_args(spec, c, recipe):
    a = ["--mode", "training", "--optimizer", "adam", "--batch", str(c["batch"])]
    for d in c["dims"]:
        a += ["--dim", d]
    if recipe == "autocast_bf16":
        a += ["--autocast", "bf16"]
    elif recipe == "checkpoint":
        for gl in spec["checkpoint_globs"]:
            a += ["--checkpoint", gl]
    elif recipe == "frozen":
        for gl in spec["train_only_globs"]:
            a += ["--train-only", gl]
    elif recipe == "micro_batch":
        a += ["--micro-batch", str(micro_of(c["batch"]))]
    return a


# ----------------------------------------------------------------------------------------------
# one entry
# ----------------------------------------------------------------------------------------------
SLIM_SAVED = ("saved_activation_bytes", "input_bytes", "activation_bytes_excluding_input", "excluded_param_bytes",
              "excluded_buffer_bytes", "distinct_storages", "pack_calls", "by_dtype")


def measure_entry(c, recipe, file, self_checks):
    spec, base = c["spec"], c["base"]
    cfg = recipe_cfg(base, spec, recipe)
    inputs = base["inputs"]()
    e = {"model": c["model"], "recipe": recipe, "file": file, "config": c["config"],
         "inputs": mmem.input_desc(c["zoo"]["input_names"], inputs), "loss": c["zoo"]["loss_desc"],
         "dtype": "float32", "device": "cpu", "optimizer": mmem.OPTIMIZERS[ADAM][0]}
    del inputs
    e["footprint_args"] = footprint_args(spec, c, recipe)
    e["footprint_command"] = " ".join(["footprint-cli", "analyze", os.path.join("tests", "recipes", "models", file)]
                                      + e["footprint_args"])
    if recipe == "autocast_bf16":
        e["recipe_detail"] = "forward + loss under torch.autocast('cpu', dtype=torch.bfloat16); no GradScaler"
    elif recipe == "checkpoint":
        e["recipe_detail"] = ("torch.utils.checkpoint.checkpoint(block, *args, use_reentrant=False) around "
                              + ", ".join(spec["blocks"]))
        e["checkpointed_blocks"] = spec["blocks"]
    elif recipe == "frozen":
        e["recipe_detail"] = "requires_grad only for " + ", ".join(spec["trainable"]) + "; Adam over those only"
        e["trainable_modules"] = spec["trainable"]
        e["note"] = FROZEN_NOTES[c["model"]]
    elif recipe == "micro_batch":
        m = micro_of(c["batch"])
        e["micro_batch"] = m
        e["micro_batches"] = c["batch"] // m
        e["recipe_detail"] = (f"{c['batch'] // m} micro-batches of {m}: forward + loss + backward each, gradients "
                              "accumulate, one optimizer step")
    t0 = time.time()
    e["trainable_params"], e["trainable_params_bytes"] = trainable_count(cfg)

    # saved activations (for micro_batch: one micro-batch)
    scfg = dict(cfg)
    if recipe == "micro_batch":
        scfg["inputs"] = lambda: base["inputs"](n=micro_of(c["batch"]))
    sa = mmem.measure_saved(scfg)
    gc.collect()
    e["saved_activation_bytes"] = sa["saved_activation_bytes"]
    e["saved_activations"] = {k: sa[k] for k in SLIM_SAVED}
    if recipe == "micro_batch":
        e["saved_activations"]["note"] = f"one micro-batch of {micro_of(c['batch'])}"
    if recipe == "checkpoint":
        e["saved_activations"]["note"] = ("only what autograd saves outside the checkpointed blocks; the blocks' "
                                          "inputs that checkpoint keeps are not seen (see held_after_forward_bytes)")
    if recipe == "autocast_bf16":
        e.update(autocast_weight_casts(cfg))
        gc.collect()

    # the step
    if recipe in ("plain", "autocast_bf16", "checkpoint"):
        tr = mmem.measure_train(cfg, ADAM)
        e["measured_by"] = "measure_memory.measure_train(cfg, 'adam')"
        gc.collect()
        if recipe == "plain":
            chk = measure_step(cfg)
            self_checks[f"{c['model']}|b{c['batch']}|{c['tag']}|plain: measure_step == measure_train"] = \
                compare(chk, tr) or "identical"
    else:
        tr = measure_step(cfg, micro=micro_of(c["batch"]) if recipe == "micro_batch" else None)
        e["measured_by"] = "make_recipes.measure_step (measure_train with Adam over trainable params, micro-batches)"
        gc.collect()
        if recipe == "frozen":
            chk = mmem.measure_train(cfg, ADAM)
            self_checks[f"{c['model']}|b{c['batch']}|{c['tag']}|frozen: measure_train (Adam over all) == "
                        "measure_step (Adam over trainable)"] = compare(tr, chk) or "identical"
    gc.collect()
    ph = tr["phases"]
    fwd = "forward" if "forward" in ph else "forward#0"
    bwd = "backward" if "backward" in ph else "backward#0"
    for k in ("params_bytes", "buffers_bytes", "optimizer_state_bytes", "held_at_start_bytes",
              "step_peak_above_start_bytes", "training_step_peak_bytes", "training_step_peak_with_held_bytes"):
        e[k] = tr[k]
    e["held_after_forward_bytes"] = ph[bwd]["at_start_bytes"] - ph[fwd]["at_start_bytes"]
    pk = tr["peak_phase"]
    e["peak_phase"] = pk.split("#")[0]
    if "#" in pk:
        e["peak_micro_batch"] = int(pk.split("#")[1])
    e["phase_peak_bytes"] = phase_peaks(ph)
    e["phases"] = slim_phases(ph)
    e["end_of_step_above_start_bytes"] = tr["end_of_step_above_start_bytes"]
    e["grads_bytes_after_step"] = tr["grads_bytes_after_step"]
    e["output_bytes"] = tr["output_bytes"]
    e["memory_events"] = tr["memory_events"]
    e["measure_s"] = round(time.time() - t0, 1)
    return e


# errors whose message does not name the operator that raised them
KNOWN_ERRORS = {
    "\"hardshrink_backward_cpu\" not implemented for 'BFloat16'":
        "raised by aten::hardtanh_backward (HardtanhBackward0, the backward of nn.ReLU6 = hardtanh(0, 6)): torch "
        "1.13's CPU kernel has no BFloat16 case, and its dispatch label is copied from hardshrink's "
        "(F.hardshrink itself runs backward in bf16). The forward runs; the first backward fails.",
}


def measure_forward_only(c, recipe):
    """What can still be measured when the step cannot run: the forward's saved activations."""
    cfg = recipe_cfg(c["base"], c["spec"], recipe)
    out = {}
    try:
        sa = mmem.measure_saved(cfg)
        out["saved_activation_bytes"] = sa["saved_activation_bytes"]
        out["saved_activations"] = {k: sa[k] for k in SLIM_SAVED}
        if recipe == "autocast_bf16":
            out.update(autocast_weight_casts(cfg))
    except Exception as ex:  # noqa: BLE001
        out["forward_error"] = f"{type(ex).__name__}: {ex}"
    gc.collect()
    return out


# ----------------------------------------------------------------------------------------------
def load():
    return zoo.load(OUT)


def save(result):
    zoo.save(result, OUT)


def table(result):
    """The README's table (MiB) from recipes.json."""
    mib = lambda b: f"{b / 2**20:.1f}"  # noqa: E731
    rows = ["| model | config | recipe | params | trainable params | Adam state | saved act. | held after fwd "
            "| step peak (with held) | peak phase |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    keys = [f"{c['model']}|b{c['batch']}|{c['tag']}|{r}" for c in configurations() for r in RECIPES]
    nm = result.get("_meta", {}).get("not_measurable", {})
    for k in sorted((k for k in keys if k in result or k in nm), key=keys.index):
        model, b, tag, r = k.split("|")
        cfg = f"{b} {tag}" + (" px" if tag.isdigit() else "")
        if k in nm:
            n = nm[k]
            sa = mib(n["saved_activation_bytes"]) if "saved_activation_bytes" in n else "-"
            rows.append(f"| {model} | {cfg} | {r} | | | | {sa} | | not measurable | |")
            continue
        e = result[k]
        rr = r + (f" (m={e['micro_batch']}, x{e['micro_batches']})" if r == "micro_batch" else "")
        sa = mib(e["saved_activation_bytes"])
        if r == "autocast_bf16":
            sa += f" ({mib(e['saved_weight_cast_bytes'])} w)"
        elif r == "micro_batch":
            sa += " (1 micro)"
        elif r == "checkpoint":
            sa += " (outside)"
        ph = e["peak_phase"] + (f" #{e['peak_micro_batch']}" if "peak_micro_batch" in e else "")
        rows.append(f"| {model} | {cfg} | {rr} | {mib(e['params_bytes'])} | {e['trainable_params']:,} | "
                    f"{mib(e['optimizer_state_bytes'])} | {sa} | {mib(e['held_after_forward_bytes'])} | "
                    f"{mib(e['training_step_peak_with_held_bytes'])} | {ph} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", action="store_true", help="print the README's table from recipes.json and exit")
    ap.add_argument("--only", default="", help="comma-separated substrings; an entry runs if its key has any")
    ap.add_argument("--skip", default="", help="comma-separated substrings; an entry is skipped if its key has any")
    ap.add_argument("--list", action="store_true", help="print the plan and exit")
    ap.add_argument("--redo", action="store_true", help="re-measure entries already in recipes.json")
    ap.add_argument("--reexport", action="store_true", help="re-export ONNX files that exist")
    args = ap.parse_args()
    only = [w for w in args.only.split(",") if w]
    skip = [w for w in args.skip.split(",") if w]

    jobs = []
    for c in configurations():
        for r in RECIPES:
            k = f"{c['model']}|b{c['batch']}|{c['tag']}|{r}"
            if (not only or any(w in k for w in only)) and not any(w in k for w in skip):
                jobs.append((k, c, r))
    if args.table:
        print(table(load()))
        return
    if args.list:
        for k, c, r in jobs:
            print(k, " ".join(footprint_args(c["spec"], c, r)))
        print(len(jobs), "entries")
        return

    os.makedirs(MODELS, exist_ok=True)
    zoo.MODELS = MODELS  # zoo.export() saves into make_models.HERE = zoo.MODELS
    result = load()
    meta = result.setdefault("_meta", {})
    for k in ("exports", "glob_checks", "not_measurable", "self_checks"):
        meta.setdefault(k, {})
    meta.setdefault("runs", [])
    t_all = time.time()
    exported, checked, done = set(), set(), []
    for k, c, r in jobs:
        z, spec = c["zoo"], c["spec"]
        file = z["stem"] + ".onnx"
        path = os.path.join(MODELS, file)
        if c["model"] not in exported and (args.reexport or not os.path.exists(path)):
            print(f"-- export {file}", flush=True)
            info = zoo.export(z)
            status, ins, problems = zoo.validate(dict(z, inputs=c["base"]["inputs"]), path)
            info.update({"check": status, "inputs": ins, "problems": problems})
            meta["exports"][file] = info
            print(f"   {info['size_bytes']} B, {info['export_s']} s, {status}, problems={problems}", flush=True)
        exported.add(c["model"])
        if c["model"] not in checked and (c["model"] not in meta["glob_checks"] or args.reexport):
            checked.add(c["model"])
            gc_ = glob_checks(spec, path, recipe_cfg(c["base"], spec, "frozen"))
            meta["glob_checks"][c["model"]] = gc_
            print(f"   globs: checkpoint ok={gc_['checkpoint']['ok']} train-only ok={gc_['train_only']['ok']} "
                  f"({gc_['train_only']['onnx_params_consumed_by_matched_nodes']} vs torch "
                  f"{gc_['train_only']['torch_trainable_params']})", flush=True)
        if (k in result or k in meta["not_measurable"]) and not args.redo:
            continue
        print(f"== {k}", flush=True)
        t0 = time.time()
        try:
            e = measure_entry(c, r, file, meta["self_checks"])
        except Exception as ex:  # noqa: BLE001
            msg = f"{type(ex).__name__}: {ex}"
            print("   not measurable: " + msg, flush=True)
            traceback.print_exc()
            gc.collect()
            nm = {"error": msg, "footprint_args": footprint_args(spec, c, r)}
            nm.update({"explanation": v for e_, v in KNOWN_ERRORS.items() if e_ in msg})
            nm.update(measure_forward_only(c, r))
            meta["not_measurable"][k] = nm
            result.pop(k, None)
            save(result)
            continue
        e["wall_s"] = round(time.time() - t0, 1)
        result[k] = e
        meta["not_measurable"].pop(k, None)
        done.append(k)
        print(f"   saved={e['saved_activation_bytes']} held_after_fwd={e['held_after_forward_bytes']} "
              f"peak={e['training_step_peak_with_held_bytes']} [{e['peak_phase']}] {e['wall_s']}s", flush=True)
        meta_update(meta, result)
        save(result)
        gc.collect()
    if done:
        meta["runs"].append({"date": datetime.datetime.now().isoformat(timespec="seconds"),
                             "wall_s": round(time.time() - t_all, 1), "entries_measured": len(done),
                             "args": sys.argv[1:]})
    meta_update(meta, result)
    save(result)
    bad = {k: v for k, v in meta["self_checks"].items() if v != "identical"}
    print(f"done: {len(done)} entries in {time.time() - t_all:.1f}s; self-check mismatches: {len(bad)}", flush=True)


def meta_update(meta, result):
    entries = {k: v for k, v in result.items() if not k.startswith("_")}
    meta.update({
        "generated_by": "tests/recipes/make_recipes.py",
        "definitions": "the docstrings of tests/recipes/make_recipes.py and tests/measure/measure_memory.py",
        "torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
        "python": sys.version.split()[0], "num_threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(), "device": "cpu", "dtype": "float32 (bf16 under autocast)",
        "machine": zoo.cpu_name(), "date": datetime.date.today().isoformat(),
        "optimizer": mmem.OPTIMIZERS[ADAM][0], "recipes": list(RECIPES),
        "micro_batch_rule": "m = 2 for batch >= 4, else 1",
        "frozen_notes": FROZEN_NOTES,
        "entries": len(entries),
        "measuring_wall_s_total": round(sum(v.get("wall_s", 0) for v in entries.values()), 1),
    })


if __name__ == "__main__":
    main()
