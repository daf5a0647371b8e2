#!/usr/bin/python3
"""PyTorch's figures for the coverage models in tests/models/coverage/ (their reference.json).

How to rerun
------------
    /usr/bin/python3 tests/measure/coverage_sweep.py               # rewrite tests/models/coverage/reference.json
    /usr/bin/python3 tests/measure/coverage_sweep.py --check       # compare with the committed file, write nothing
    /usr/bin/python3 tests/measure/coverage_sweep.py --export DIR  # also export the models, weight-free, into DIR

Development only: needs Debian's python3-torch (1.13), python3-torchvision (0.14) and python3-onnx
(1.12); CPU, one thread; about 2 minutes (3 with --export). Footprint is never run: every figure
comes from PyTorch. The tests (tests/core/tst_costs.cpp, coverageModels) assert them.

The models are built as tests/measure/coverage/worker.py built them when the files were exported:
torchvision's constructor with weights=None after torch.manual_seed(0), eval mode, then
make_models.perturb() (distinct values, so the exporter shares no initializers), exported at
batch 2 with a dynamic batch axis at the opset the file name gives. --export repeats that export
(weights stripped as make_models.save_stripped does), to show the committed files are these models.

Figures (batch 1, 3x224x224)
----------------------------
  macs             every multiply-accumulate of the convolutions and matrix products PyTorch
                   executes in one forward pass: an aten dispatch mode (tests/measure/coverage/macc.py)
                   counts convolution, mm, addmm, bmm and baddbmm (grad enabled, so
                   nn.MultiheadAttention takes its composite path rather than one fused kernel).
  macs_by_op       the same by aten op.
  module_hook_macs the forward hooks of make_models.measure() (nn.Conv2d and nn.Linear modules only).
                   Equal to macs where every product is a module call (EfficientNet, RegNet, ConvNeXt);
                   smaller where attention runs in functional code (ViT's F.linear and bmm inside
                   nn.MultiheadAttention, Swin's functional window attention, MaxViT's einsum).
                   ViT-B/16 by hand: 12 layers x (197x768x2304 in-projection + 197x768x768
                   out-projection + 2 x 12 heads x 197x197x64 attention) = 6,292,703,232, exactly
                   macs - module_hook_macs.
  torch_params     sum(p.numel() for p in model.parameters())
  Folding, the exported file's weights from PyTorch's:
  bn_folded_params    weight + bias elements of every BatchNorm whose input is a convolution's output
                      used by nothing else (torch.onnx's eval-mode Conv+BN fusion, found on the traced
                      graph). The export drops them.
  conv_bias_added     output channels of the bias-less convolutions among those: each gains a bias.
  bn_kept_buffers     running_mean + running_var elements of the BatchNorms not folded (kept as
                      BatchNormalization nodes: their weight and bias stay parameters).
  folded_tables_params   relative-position bias tables (Swin, MaxViT): table[index] has constant
  folded_tables_gathered inputs, so the export folds it into a constant of index.numel() x heads
                      elements (gathered) and drops the table (params).
  So the file holds, as trainable weights,
      torch_params - bn_folded_params + conv_bias_added - folded_tables_params + folded_tables_gathered
  and bn_kept_buffers elements of BatchNorm statistics.
"""

import argparse
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
sys.path.insert(0, os.path.join(HERE, "coverage"))
sys.dont_write_bytecode = True

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision  # noqa: E402
import onnx  # noqa: E402

import make_models as mm  # noqa: E402  (perturb, measure, save_stripped's layout)
from macc import MacCounter  # noqa: E402

REF_PATH = os.path.join(ROOT, "tests", "models", "coverage", "reference.json")
MODELS = [("vit_b_16", 17), ("efficientnet_b0", 11), ("swin_t", 17), ("maxvit_t", 17),
          ("convnext_tiny", 17), ("regnet_y_400mf", 11)]

torch.set_num_threads(1)


def build(name):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None)
    model.eval()
    mm.perturb(model)
    return model


def aten_macs(model, x):
    with MacCounter() as c:
        out = model(x)
    del out
    return c.macs, dict(sorted(c.ops.items()))


def _attr_path(value):
    """'layers.0.conv.weight' for a value read through prim::GetAttr chains, else None."""
    names = []
    node = value.node()
    while node.kind() == "prim::GetAttr":
        names.append(node.s("name"))
        node = node.input().node()
    return ".".join(reversed(names)) if names else None


def bn_folding(model, x):
    """BatchNorms that torch.onnx folds into the convolution before them (eval export)."""
    traced = torch.jit.trace(model, (x,), check_trace=False)
    graph = traced.inlined_graph
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    folded, conv_bias, kept = 0, 0, 0
    for node in graph.nodes():
        if node.kind() != "aten::batch_norm":
            continue
        inputs = list(node.inputs())
        weight, bias = _attr_path(inputs[1]), _attr_path(inputs[2])
        mean, var = _attr_path(inputs[3]), _attr_path(inputs[4])
        affine = sum(params[p].numel() for p in (weight, bias) if p)
        producer = inputs[0].node()
        if producer.kind() == "aten::_convolution" and len(inputs[0].uses()) == 1:
            folded += affine
            conv_weight = params[_attr_path(list(producer.inputs())[1])]
            if list(producer.inputs())[2].type().kind() == "NoneType":
                conv_bias += conv_weight.shape[0]
        else:
            kept += buffers[mean].numel() + buffers[var].numel()
    return {"bn_folded_params": folded, "conv_bias_added": conv_bias, "bn_kept_buffers": kept}


def folded_tables(model):
    """Relative-position bias tables gathered by a constant index (Swin, MaxViT)."""
    params, gathered = 0, 0
    for m in model.modules():
        table = getattr(m, "relative_position_bias_table", None)
        index = getattr(m, "relative_position_index", None)
        if isinstance(table, nn.Parameter) and isinstance(index, torch.Tensor):
            params += table.numel()
            gathered += index.numel() * table.shape[-1]
    return {"folded_tables_params": params, "folded_tables_gathered": gathered}


def export(model, name, opset, directory):
    stem = f"{name}_op{opset}"
    f = io.BytesIO()
    torch.onnx.export(model, (torch.randn(2, 3, 224, 224),), f, export_params=True,
                      training=torch.onnx.TrainingMode.EVAL, opset_version=opset, do_constant_folding=True,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    proto = onnx.load_model_from_string(f.getvalue())
    path, weights = os.path.join(directory, stem + ".onnx"), os.path.join(directory, stem + ".weights")
    for p in (path, weights):
        if os.path.exists(p):
            os.remove(p)
    onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=stem + ".weights", size_threshold=1024)
    if os.path.exists(weights):
        os.remove(weights)
    return path


def measure(name):
    model = build(name)
    x = torch.randn(1, 3, 224, 224)
    hooks = mm.measure(model, (x,))  # parameters, BN buffers, module-hook MACs (eval, no grad)
    assert hooks["trainable_params"] == sum(p.numel() for p in model.parameters())
    macs, by_op = aten_macs(model, x)
    entry = {"macs": macs, "macs_by_op": by_op, "module_hook_macs": hooks["macs"],
             "torch_params": hooks["trainable_params"], "torch_bn_buffers": hooks["buffers"]}
    entry.update(bn_folding(model, x))
    entry.update(folded_tables(model))
    return model, entry


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file; write nothing")
    parser.add_argument("--export", metavar="DIR", help="also export each model, weight-free, into DIR")
    args = parser.parse_args()
    with open(REF_PATH) as f:
        committed = json.load(f)
    ref = {"_meta": {
        "generated_by": "tests/measure/coverage_sweep.py",
        "torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
        "definitions": "see the docstring of tests/measure/coverage_sweep.py",
        "measurement": "torchvision constructor, weights=None, torch.manual_seed(0), eval, make_models.perturb(); "
                       "batch 1, 3x224x224",
    }}
    for name, opset in MODELS:
        key = f"{name}_op{opset}.onnx"
        model, entry = measure(name)
        ref[key] = entry
        old = committed.get(key, {})
        diffs = {k: (old[k], entry[k]) for k in ("macs", "torch_params") if k in old and old[k] != entry[k]}
        print(f"{key}: macs {entry['macs']} (hooks {entry['module_hook_macs']}), params {entry['torch_params']}, "
              f"BN folded {entry['bn_folded_params']} (+{entry['conv_bias_added']} bias), kept {entry['bn_kept_buffers']}, "
              f"tables {entry['folded_tables_params']} -> {entry['folded_tables_gathered']}"
              + (f"  DIFFERS from the committed file: {diffs}" if diffs else ""), flush=True)
        if args.export:
            print("   exported", export(model, name, opset, args.export), flush=True)
        del model
    if not args.check:
        with open(REF_PATH, "w") as f:
            json.dump(ref, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
