import torch
from torch.utils._python_dispatch import TorchDispatchMode
aten = torch.ops.aten
class MacCounter(TorchDispatchMode):
    def __init__(self):
        super().__init__(); self.macs = 0; self.ops = {}
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        p = func.overloadpacket
        m = 0
        if p is aten.convolution:
            w = args[1]; m = out.numel() * w.shape[1] * int(torch.tensor(w.shape[2:]).prod())
        elif p is aten.mm:
            m = args[0].shape[0] * args[0].shape[1] * args[1].shape[1]
        elif p is aten.addmm:
            m = args[1].shape[0] * args[1].shape[1] * args[2].shape[1]
        elif p is aten.bmm:
            m = args[0].shape[0] * args[0].shape[1] * args[0].shape[2] * args[1].shape[2]
        elif p is aten.baddbmm:
            m = args[1].shape[0] * args[1].shape[1] * args[1].shape[2] * args[2].shape[2]
        if m:
            self.macs += m; self.ops[p.__name__] = self.ops.get(p.__name__, 0) + m
        return out
