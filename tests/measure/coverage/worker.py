import sys, os, io, json, time, traceback
sys.dont_write_bytecode = True
sys.path.insert(0, '/tmp/coverage')
import torch, torch.nn as nn
torch.set_num_threads(1)
import onnx, torchvision
from macc import MacCounter
sys.path.insert(0, '/work/main/tests/models')
import make_models as mm  # the test models' definitions and perturb()

OUT = '/tmp/coverage'
name, opset = sys.argv[1], int(sys.argv[2])
rec = {'model': name, 'opset': opset}

TEXT = name in ('gpt2_2l', 'gpt2_12l', 'bert_2l')
torch.manual_seed(0)
if TEXT:
    if name.startswith('gpt2'):
        model = mm.GPT2LMHeadModel(n_layer=int(name[5:-1]))
        args = (torch.randint(0, 50257, (2, 8)),)
        margs = (torch.randint(0, 50257, (1, 128)),)
        inames, onames = ['input_ids'], ['logits']
        dyn = {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    else:
        model = mm.BertModel()
        args = (torch.randint(0, 30522, (2, 8)), torch.ones(2, 8, dtype=torch.long))
        margs = (torch.randint(0, 30522, (1, 128)), torch.ones(1, 128, dtype=torch.long))
        inames, onames = ['input_ids', 'attention_mask'], ['last_hidden_state', 'pooler_output']
        dyn = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
               "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}}
    Conv1D = mm.Conv1D
else:
    Conv1D = None
    ctor = getattr(torchvision.models, name)
    kw = {'weights': None}
    if name in ('inception_v3', 'googlenet'):
        kw.update(aux_logits=False, init_weights=True)
    model = ctor(**kw)
    hw = 299 if name == 'inception_v3' else 224
    args = (torch.randn(1, 3, hw, hw),)
    margs = args
    inames, onames = ['input'], ['output']
    dyn = {'input': {0: 'batch'}, 'output': {0: 'batch'}}
model.eval()
mm.perturb(model)
rec['torch_params'] = sum(p.numel() for p in model.parameters())

# --- hooks: MACs (Conv2d + Linear [+ HF Conv1D]) and Conv->BN adjacency
macs = {'conv2d': 0, 'linear': 0}
conv_out = {}
fused = []  # (conv, bn)
bn_seen = []
hooks = []
def conv_hook(m, i, o):
    kh, kw_ = m.kernel_size
    macs['conv2d'] += o.numel() * (m.in_channels // m.groups) * kh * kw_
    conv_out[id(o)] = (m, o)
def lin_hook(m, i, o):
    macs['linear'] += o.numel() * m.in_features
def c1d_hook(m, i, o):
    macs['linear'] += o.numel() * m.weight.shape[0]
def bn_pre(m, i):
    bn_seen.append(m)
    x = i[0]
    if id(x) in conv_out and conv_out[id(x)][1] is x:
        fused.append((conv_out[id(x)][0], m))
for m in model.modules():
    if isinstance(m, nn.Conv2d): hooks.append(m.register_forward_hook(conv_hook))
    elif isinstance(m, nn.Linear): hooks.append(m.register_forward_hook(lin_hook))
    elif Conv1D is not None and isinstance(m, Conv1D): hooks.append(m.register_forward_hook(c1d_hook))
    if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)): hooks.append(m.register_forward_pre_hook(bn_pre))
with torch.no_grad():
    model(*margs)
for h in hooks: h.remove()
rec['hook_macs'] = macs['conv2d'] + macs['linear']
# full aten-level count (grad enabled so nn.MultiheadAttention avoids its fused fast path)
with MacCounter() as c:
    out = model(*margs)
del out
rec['aten_macs'] = c.macs
rec['aten_ops'] = c.ops

bns = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))]
def wb(b): return (b.weight.numel() + b.bias.numel()) if b.affine else 0
fused_ids = {id(b) for _, b in fused}
rec['n_bn'] = len(bns); rec['n_bn_fused'] = len(fused_ids)
rec['expected_brief'] = rec['torch_params'] - sum(wb(b) for b in bns) + sum(c_.out_channels for c_, b in fused if c_.bias is None)
rec['expected_exact'] = rec['torch_params'] - sum(wb(b) for b in bns if id(b) in fused_ids) + sum(c_.out_channels for c_, b in fused if c_.bias is None)
# running stats of unfused BN (should be 'buffers')
rec['unfused_bn_stats'] = sum(b.running_mean.numel() * 2 for b in bns if id(b) not in fused_ids)

# --- export
stem = f'{name}_op{opset}'
path = os.path.join(OUT, stem + '.onnx'); wpath = os.path.join(OUT, stem + '.weights')
for p in (path, wpath):
    if os.path.exists(p): os.remove(p)
t0 = time.time()
try:
    f = io.BytesIO()
    torch.onnx.export(model, args, f, export_params=True, training=torch.onnx.TrainingMode.EVAL,
                      opset_version=opset, do_constant_folding=True, input_names=inames,
                      output_names=onames, dynamic_axes=dyn)
    rec['export_s'] = round(time.time() - t0, 1)
    m = onnx.load_model_from_string(f.getvalue()); del f
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=stem + '.weights', size_threshold=1024)
    if os.path.exists(wpath): os.remove(wpath)
    ops = {}
    for n in m.graph.node: ops[n.op_type] = ops.get(n.op_type, 0) + 1
    rec['onnx_ops'] = ops
    rec['onnx_init_elems'] = sum(int(torch.tensor(list(t.dims)).prod().item()) if len(t.dims) else 1 for t in m.graph.initializer)
    rec['path'] = path
except Exception as e:
    rec['export_s'] = round(time.time() - t0, 1)
    lines = [l for l in str(e).strip().splitlines() if l.strip()]
    rec['export_error'] = type(e).__name__ + ': ' + (lines[0] if lines else '')[:300]
    rec['export_error_full'] = str(e)[:3000]
print('RESULT ' + json.dumps(rec))
