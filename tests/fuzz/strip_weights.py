#!/usr/bin/env python3
"""Rewrites an ONNX model without its weights, as a small fuzzing seed.

Every tensor (initializers and Constant values, in subgraphs too) of more than 64 elements keeps
its name, type and dims but stores its data "externally" in a file that does not exist; the
reader only needs the dims, and it decodes only integer constants of at most 64 elements, which
stay as they are. Needs python3-onnx.

    strip_weights.py IN.onnx OUT.onnx
"""

import sys

import onnx
from onnx import TensorProto

KEEP_ELEMENTS = 64  # fp::ReadLimits::maxSmallIntElements


def strip_tensor(t: TensorProto) -> None:
    count = 1
    for d in t.dims:
        count *= d
    if count <= KEEP_ELEMENTS or t.data_type in (TensorProto.STRING, TensorProto.UNDEFINED):
        return
    for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
        t.ClearField(field)
    del t.external_data[:]
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key, entry.value = "location", "weights.bin"


def strip_graph(g: onnx.GraphProto) -> None:
    for t in g.initializer:
        strip_tensor(t)
    for n in g.node:
        for a in n.attribute:
            if a.HasField("t"):
                strip_tensor(a.t)
            for t in a.tensors:
                strip_tensor(t)
            if a.HasField("g"):
                strip_graph(a.g)
            for sub in a.graphs:
                strip_graph(sub)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model = onnx.load(sys.argv[1], load_external_data=False)
    strip_graph(model.graph)
    onnx.save(model, sys.argv[2])


if __name__ == "__main__":
    main()
