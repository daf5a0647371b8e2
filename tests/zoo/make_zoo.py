#!/usr/bin/python3
"""Measured zoo: weight-free ONNX exports of many architectures + PyTorch CPU memory measurements.

Everything is measured with the functions of tests/measure/measure_memory.py (imported, not
re-implemented), so the figures use exactly the definitions of its docstring and are comparable
with tests/models/measured.json:

  eval exports   (model.eval(), torch.onnx.export default EVAL mode, constant folding on)
      inference_peak_above_start_bytes / inference_peak_bytes   <- measure_inference()
      (model.eval(), torch.no_grad(), warm-up forward, then one profiled forward; the input is held
       at start and not counted; inference_peak_bytes = params + buffers + peak above start)
  train exports  (model.train(), TrainingMode.TRAINING, do_constant_folding=False)
      saved_activation_bytes                                    <- measure_saved()
      (train mode, every tensor autograd saves, counted once per storage, params/buffers excluded;
       includes the model input when an op saves it)
      training.adam.* / training_step_peak_with_held_bytes     <- measure_train(cfg, "adam")
      (torch.optim.Adam(lr=1e-3, foreach=False); warm-up step so the Adam state exists, then one
       profiled steady-state step zero_grad/forward/loss/backward/optimizer;
       training_step_peak_with_held_bytes = params + buffers + optimizer state + input + peak above start)
  loss = output.float().sum() (BERT: last_hidden_state.float().sum(), as in measure_memory.py).

Models are randomly initialised (torch.manual_seed(0)), never downloaded.  Train-mode measurements run
with the model's Dropout active (the TRAINING exports keep their Dropout nodes), but torchvision's
StochasticDepth is disabled (p = 0: its bernoulli noise cannot be exported at opset 13/14), so
neither graph has it.

Files
-----
  tests/zoo/models/<name>_<eval|train>[_<res>].onnx   weight-free: every initializer >= 1 KiB is
      external data in <stem>.weights, which is deleted (make_models.save_stripped).  Vision models
      get one file per resolution with only the batch axis dynamic ("batch"); transformers one file
      per export mode with "batch" and "sequence" dynamic; audio models one file, "batch" dynamic.
  tests/zoo/zoo.json   "_meta" + one entry per configuration, key "<model>|<eval|train>|b<batch>|<res>"
      (res: "224" for images, "s512" for sequences, "t<frames>" for audio, "m96" for VGGish's log-mel patch).
      Images are 224/128 px, 160 px for the models of VISION with ONLY160, and the extra resolutions of
      EXTRA_RESOLUTIONS (96/192/288 px) for a few models, to test that nothing is tuned to 128/224 px.

How to rerun
------------
    cd /work/main && nice -n 5 /usr/bin/python3 tests/zoo/make_zoo.py              # everything missing
    /usr/bin/python3 tests/zoo/make_zoo.py --list                                  # the plan, no work
    /usr/bin/python3 tests/zoo/make_zoo.py --only resnet50,gpt2 --skip '|b8|'      # substring filters on keys
    /usr/bin/python3 tests/zoo/make_zoo.py --redo --only resnet18                  # re-measure existing keys
    /usr/bin/python3 tests/zoo/make_zoo.py --reexport --only resnet18              # re-export the ONNX too
It is resumable: configs already in zoo.json are skipped; zoo.json is rewritten after every config.
One thread (torch.set_num_threads(1)) so the peaks repeat exactly.
"""

import argparse
import datetime
import gc
import importlib.util
import io
import json
import math
import os
import re
import subprocess
import sys
import time
import traceback
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

ZOO = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(ZOO, "models")
OUT = os.path.join(ZOO, "zoo.json")
MEASURE = os.path.normpath(os.path.join(ZOO, "..", "measure", "measure_memory.py"))

_spec = importlib.util.spec_from_file_location("measure_memory", MEASURE)
mmem = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mmem)
mm = mmem.mm  # tests/models/make_models.py, as imported by measure_memory
torch.set_num_threads(1)

OPSET_VISION, OPSET_TEXT, OPSET_AUDIO = 13, 14, 13


# ----------------------------------------------------------------------------------------------
# extra models: LLaMA-style decoder, HF-structured GPT-2 and BERT, timm ViT, MLP-Mixer, GPT-NeoX, T5 encoder,
# audio networks
# ----------------------------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.k_proj = nn.Linear(hidden, hidden, bias=False)
        self.v_proj = nn.Linear(hidden, hidden, bias=False)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, c = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        att = att.masked_fill(mask, torch.finfo(att.dtype).min)
        att = F.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, c)
        return self.o_proj(y)


class LlamaMLP(nn.Module):
    def __init__(self, hidden, inter):
        super().__init__()
        self.gate_proj = nn.Linear(hidden, inter, bias=False)
        self.up_proj = nn.Linear(hidden, inter, bias=False)
        self.down_proj = nn.Linear(inter, hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaBlock(nn.Module):
    def __init__(self, hidden, heads, inter):
        super().__init__()
        self.input_layernorm = RMSNorm(hidden)
        self.self_attn = LlamaAttention(hidden, heads)
        self.post_attention_layernorm = RMSNorm(hidden)
        self.mlp = LlamaMLP(hidden, inter)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaForCausalLM(nn.Module):
    """LLaMA-style decoder in plain torch: RMSNorm, rotary embeddings, SwiGLU, causal attention, no bias,
    untied lm_head.  The rotary cos/sin tables and the causal mask are computed from the sequence length."""

    def __init__(self, vocab=32000, hidden=512, layers=4, heads=8, inter=1376, theta=10000.0):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList([LlamaBlock(hidden, heads, inter) for _ in range(layers)])
        self.norm = RMSNorm(hidden)
        self.lm_head = nn.Linear(hidden, vocab, bias=False)
        hd = hidden // heads
        self.register_buffer("inv_freq", 1.0 / (theta ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        pos = torch.arange(t, dtype=torch.float32, device=input_ids.device)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.ones(t, t, dtype=torch.bool, device=input_ids.device).triu(1)[None, None]
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


# ----------------------------------------------------------------------------------------------
# Hugging Face-structured transformers: the module nesting and operator forms of transformers'
# modeling_gpt2 / modeling_bert, written out in plain torch (nothing is imported from transformers)
# ----------------------------------------------------------------------------------------------
class HFConv1D(nn.Module):
    """HF's GPT-2 Conv1D: a linear layer with a transposed [in, out] weight, computed with torch.addmm on the
    input flattened to 2-D and viewed back."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.02)
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class HFGPT2Attention(nn.Module):
    """HF's GPT2Attention: one merged c_attn projection split into q, k, v; the causal mask is a bool
    [1, 1, n_positions, n_positions] buffer, sliced to the sequence and applied with torch.where."""

    def __init__(self, n_embd, n_head, n_positions):
        super().__init__()
        self.n_head, self.head_dim, self.n_embd = n_head, n_embd // n_head, n_embd
        self.register_buffer("bias", torch.tril(torch.ones((n_positions, n_positions), dtype=torch.bool))
                             .view(1, 1, n_positions, n_positions), persistent=False)
        self.c_attn = HFConv1D(3 * n_embd, n_embd)
        self.c_proj = HFConv1D(n_embd, n_embd)
        self.attn_dropout = nn.Dropout(0.1)
        self.resid_dropout = nn.Dropout(0.1)

    def _attn(self, query, key, value):
        attn_weights = torch.matmul(query, key.transpose(-1, -2)) / torch.full([], value.size(-1) ** 0.5,
                                                                               dtype=query.dtype)
        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length:key_length, :key_length]
        mask_value = torch.full([], torch.finfo(attn_weights.dtype).min, dtype=attn_weights.dtype)
        attn_weights = torch.where(causal_mask, attn_weights, mask_value)
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_weights = self.attn_dropout(attn_weights)
        return torch.matmul(attn_weights, value), attn_weights

    def _split_heads(self, tensor):
        return tensor.view(tensor.size()[:-1] + (self.n_head, self.head_dim)).permute(0, 2, 1, 3)

    def forward(self, hidden_states):
        query, key, value = self.c_attn(hidden_states).split(self.n_embd, dim=2)
        query, key, value = self._split_heads(query), self._split_heads(key), self._split_heads(value)
        attn_output, attn_weights = self._attn(query, key, value)
        attn_output = attn_output.permute(0, 2, 1, 3).contiguous()
        attn_output = attn_output.view(attn_output.size()[:-2] + (self.n_embd,))
        attn_output = self.c_proj(attn_output)
        attn_output = self.resid_dropout(attn_output)
        return (attn_output,)


class HFGPT2MLP(nn.Module):
    """HF's GPT2MLP: Conv1D, F.gelu(approximate="tanh"), Conv1D, dropout."""

    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = HFConv1D(4 * n_embd, n_embd)
        self.c_proj = HFConv1D(n_embd, 4 * n_embd)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states):
        hidden_states = self.c_fc(hidden_states)
        hidden_states = F.gelu(hidden_states, approximate="tanh")
        hidden_states = self.c_proj(hidden_states)
        return self.dropout(hidden_states)


class HFGPT2Block(nn.Module):
    """HF's GPT2Block: pre-LayerNorm attention and MLP with residuals, returning a tuple."""

    def __init__(self, n_embd, n_head, n_positions):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = HFGPT2Attention(n_embd, n_head, n_positions)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = HFGPT2MLP(n_embd)

    def forward(self, hidden_states):
        residual = hidden_states
        hidden_states = self.ln_1(hidden_states)
        attn_outputs = self.attn(hidden_states)
        attn_output, outputs = attn_outputs[0], attn_outputs[1:]
        hidden_states = attn_output + residual
        residual = hidden_states
        hidden_states = self.ln_2(hidden_states)
        feed_forward_hidden_states = self.mlp(hidden_states)
        hidden_states = residual + feed_forward_hidden_states
        return (hidden_states,) + outputs


class HFGPT2LMHeadModel(nn.Module):
    """GPT-2 as Hugging Face's modeling_gpt2 structures it: Conv1D layers computed with addmm, a merged qkv
    projection split in three, a causal-mask bool buffer applied with torch.where, F.gelu(approximate="tanh"),
    learned position embeddings from torch.arange, and an lm_head tied to wte."""

    def __init__(self, vocab=50257, n_embd=384, n_layer=3, n_head=6, n_positions=1024):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(n_positions, n_embd)
        self.drop = nn.Dropout(0.1)
        self.h = nn.ModuleList([HFGPT2Block(n_embd, n_head, n_positions) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, input_ids):
        input_shape = input_ids.size()
        position_ids = torch.arange(0, input_shape[-1], dtype=torch.long).unsqueeze(0)
        inputs_embeds = self.wte(input_ids)
        position_embeds = self.wpe(position_ids)
        hidden_states = inputs_embeds + position_embeds
        hidden_states = self.drop(hidden_states)
        for block in self.h:
            outputs = block(hidden_states)
            hidden_states = outputs[0]
        hidden_states = self.ln_f(hidden_states)
        return self.lm_head(hidden_states)


class HFBertSelfAttention(nn.Module):
    """HF's BertSelfAttention: separate query/key/value Linears, an additive extended attention mask,
    dropout on the probabilities."""

    def __init__(self, hidden, heads):
        super().__init__()
        self.num_attention_heads, self.attention_head_size = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(0.1)

    def transpose_for_scores(self, x):
        return x.view(x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)).permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask):
        mixed_query_layer = self.query(hidden_states)
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)
        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        attention_scores = attention_scores + attention_mask
        attention_probs = nn.functional.softmax(attention_scores, dim=-1)
        attention_probs = self.dropout(attention_probs)
        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        context_layer = context_layer.view(context_layer.size()[:-2]
                                           + (self.num_attention_heads * self.attention_head_size,))
        return (context_layer,)


class HFBertSelfOutput(nn.Module):
    """HF's BertSelfOutput: dense, dropout, LayerNorm(x + residual)."""

    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dropout(self.dense(hidden_states))
        return self.LayerNorm(hidden_states + input_tensor)


class HFBertAttention(nn.Module):
    """HF's BertAttention: BertSelfAttention (.self) then BertSelfOutput (.output), returning a tuple."""

    def __init__(self, hidden, heads):
        super().__init__()
        self.self = HFBertSelfAttention(hidden, heads)
        self.output = HFBertSelfOutput(hidden)

    def forward(self, hidden_states, attention_mask):
        self_outputs = self.self(hidden_states, attention_mask)
        attention_output = self.output(self_outputs[0], hidden_states)
        return (attention_output,) + self_outputs[1:]


class HFBertIntermediate(nn.Module):
    """HF's BertIntermediate: dense then exact GELU (nn.GELU)."""

    def __init__(self, hidden, intermediate):
        super().__init__()
        self.dense = nn.Linear(hidden, intermediate)
        self.intermediate_act_fn = nn.GELU()

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class HFBertOutput(nn.Module):
    """HF's BertOutput: dense back to hidden, dropout, LayerNorm(x + residual)."""

    def __init__(self, hidden, intermediate):
        super().__init__()
        self.dense = nn.Linear(intermediate, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dropout(self.dense(hidden_states))
        return self.LayerNorm(hidden_states + input_tensor)


class HFBertLayer(nn.Module):
    """HF's BertLayer: attention, intermediate, output, passing tuples along."""

    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.attention = HFBertAttention(hidden, heads)
        self.intermediate = HFBertIntermediate(hidden, intermediate)
        self.output = HFBertOutput(hidden, intermediate)

    def forward(self, hidden_states, attention_mask):
        self_attention_outputs = self.attention(hidden_states, attention_mask)
        attention_output = self_attention_outputs[0]
        outputs = self_attention_outputs[1:]
        intermediate_output = self.intermediate(attention_output)
        layer_output = self.output(intermediate_output, attention_output)
        return (layer_output,) + outputs


class HFBertEncoder(nn.Module):
    """HF's BertEncoder: a ModuleList .layer of BertLayers."""

    def __init__(self, hidden, heads, intermediate, layers):
        super().__init__()
        self.layer = nn.ModuleList([HFBertLayer(hidden, heads, intermediate) for _ in range(layers)])

    def forward(self, hidden_states, attention_mask):
        for layer_module in self.layer:
            layer_outputs = layer_module(hidden_states, attention_mask)
            hidden_states = layer_outputs[0]
        return (hidden_states,)


class HFBertModel(nn.Module):
    """BERT as Hugging Face's modeling_bert nests it: embeddings (make_models.BertEmbeddings), encoder.layer[i]
    .attention.self/.output, .intermediate, .output; the extended mask (1 - mask) * finfo.min is added to the
    scores; the pooler is tanh(Linear) on the first token.  Returns (last_hidden_state, pooler_output)."""

    def __init__(self, vocab=30522, hidden=384, layers=3, heads=6, intermediate=1536):
        super().__init__()
        self.embeddings = mm.BertEmbeddings(vocab, hidden, 512, 2)
        self.encoder = HFBertEncoder(hidden, heads, intermediate, layers)
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, input_ids, attention_mask):
        extended_attention_mask = attention_mask[:, None, None, :].to(dtype=torch.float32)
        extended_attention_mask = (1.0 - extended_attention_mask) * torch.finfo(torch.float32).min
        embedding_output = self.embeddings(input_ids)
        encoder_outputs = self.encoder(embedding_output, extended_attention_mask)
        sequence_output = encoder_outputs[0]
        pooled_output = torch.tanh(self.pooler(sequence_output[:, 0]))
        return sequence_output, pooled_output


# ----------------------------------------------------------------------------------------------
# module styles from other libraries (a generalisation probe): timm's ViT, MLP-Mixer, GPT-NeoX, a T5
# encoder, all written out in plain torch (nothing is imported from timm or transformers)
# ----------------------------------------------------------------------------------------------
class TimmAttention(nn.Module):
    """timm's VisionTransformer Attention: fused qkv Linear, reshape/permute/unbind, attn = attn.softmax(-1)
    rebinding one name, (attn @ v).transpose(1, 2).reshape."""

    def __init__(self, dim, heads):
        super().__init__()
        self.num_heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.attn_drop = nn.Dropout(0.0)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(0.0)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        attn = self.attn_drop(attn)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class TimmMlp(nn.Module):
    """timm's Mlp: fc1, nn.GELU, dropout, fc2, dropout."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(0.1)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop2 = nn.Dropout(0.1)

    def forward(self, x):
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


class TimmBlock(nn.Module):
    """timm's ViT Block: x = x + attn(norm1(x)); x = x + mlp(norm2(x)), LayerNorm eps 1e-6."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = TimmAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = TimmMlp(dim, 4 * dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class TimmViT(nn.Module):
    """timm's VisionTransformer structure (ViT-Tiny width, 4 blocks): Conv2d patch embedding, flatten(2).transpose,
    cls token concatenated with expand, learned pos_embed added, nn.Sequential of blocks, head on x[:, 0]."""

    def __init__(self, img=224, patch=16, dim=192, depth=4, heads=3, classes=1000):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        n = (img // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * .02)
        self.pos_drop = nn.Dropout(0.1)
        self.blocks = nn.Sequential(*[TimmBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = self.pos_drop(x + self.pos_embed)
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])


class MixerBlock(nn.Module):
    """MLP-Mixer block: a token MLP on the transposed [B, C, tokens] LayerNorm output, transposed back and added,
    then a channel MLP; nn.GELU in both."""

    def __init__(self, tokens, dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, tokens * 2), nn.GELU(), nn.Linear(tokens * 2, tokens))
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))

    def forward(self, x):
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class MlpMixer(nn.Module):
    """MLP-Mixer (Tolstikhin et al. 2021), small: Conv2d 16x16 patch stem, 4 MixerBlocks of width 256, LayerNorm,
    mean over tokens, linear head."""

    def __init__(self, img=224, patch=16, dim=256, depth=4):
        super().__init__()
        t = (img // patch) ** 2
        self.stem = nn.Conv2d(3, dim, patch, patch)
        self.blocks = nn.Sequential(*[MixerBlock(t, dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 1000)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))


def neox_rotate_half(x):
    """GPT-NeoX's rotate_half: the two halves sliced (not chunked), concatenated as (-x2, x1)."""
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class NeoXRotaryEmbedding(nn.Module):
    """GPT-NeoX's RotaryEmbedding: a persistent inv_freq buffer; cos/sin from einsum('i,j->ij') of arange(seq_len)."""

    def __init__(self, dim, base=10000):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq)

    def forward(self, x, seq_len):
        t = torch.arange(seq_len, dtype=self.inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos()[None, None, :, :], emb.sin()[None, None, :, :]


class NeoXAttention(nn.Module):
    """GPT-NeoX's attention: fused query_key_value viewed [B, T, heads, 3*head_dim] and sliced, rotary on the first
    25% of each head (rotated part concatenated back with the pass-through part), a causal tril mask built in
    forward and applied with torch.where."""

    def __init__(self, dim, heads, rot_pct=0.25):
        super().__init__()
        self.num_heads, self.head_size = heads, dim // heads
        self.rotary_ndims = int(self.head_size * rot_pct)
        self.query_key_value = nn.Linear(dim, 3 * dim)
        self.dense = nn.Linear(dim, dim)
        self.rotary_emb = NeoXRotaryEmbedding(self.rotary_ndims)

    def forward(self, x):
        B, T, C = x.shape
        hs, rd = self.head_size, self.rotary_ndims
        qkv = self.query_key_value(x).view(B, T, self.num_heads, 3 * hs)
        query = qkv[..., :hs].permute(0, 2, 1, 3)
        key = qkv[..., hs:2 * hs].permute(0, 2, 1, 3)
        value = qkv[..., 2 * hs:].permute(0, 2, 1, 3)
        q_rot, q_pass = query[..., :rd], query[..., rd:]
        k_rot, k_pass = key[..., :rd], key[..., rd:]
        cos, sin = self.rotary_emb(value, T)
        query = torch.cat((q_rot * cos + neox_rotate_half(q_rot) * sin, q_pass), dim=-1)
        key = torch.cat((k_rot * cos + neox_rotate_half(k_rot) * sin, k_pass), dim=-1)
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(hs)
        scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min))
        probs = F.softmax(scores, dim=-1)
        out = torch.matmul(probs, value).permute(0, 2, 1, 3).reshape(B, T, C)
        return self.dense(out)


class NeoXLayer(nn.Module):
    """GPT-NeoX's layer with the parallel residual: x + attn(ln1(x)) + mlp(ln2(x)), both branches from the same x."""

    def __init__(self, dim, heads):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(dim)
        self.post_attention_layernorm = nn.LayerNorm(dim)
        self.attention = NeoXAttention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        attn_output = self.attention(self.input_layernorm(x))
        mlp_output = self.mlp(self.post_attention_layernorm(x))
        return mlp_output + attn_output + x


class NeoXForCausalLM(nn.Module):
    """GPT-NeoX as Hugging Face's modeling_gpt_neox structures it (3 layers, 384 hidden, 6 heads, vocab 32000):
    embed_in, parallel-residual layers with partial rotary embeddings, final_layer_norm, untied embed_out."""

    def __init__(self, vocab=32000, dim=384, layers=3, heads=6):
        super().__init__()
        self.embed_in = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList([NeoXLayer(dim, heads) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(dim)
        self.embed_out = nn.Linear(dim, vocab, bias=False)

    def forward(self, input_ids):
        h = self.embed_in(input_ids)
        for layer in self.layers:
            h = layer(h)
        return self.embed_out(self.final_layer_norm(h))


class T5LayerNorm(nn.Module):
    """T5's LayerNorm: RMS norm without mean or bias, variance computed in float32 (x.to(float32).pow(2).mean)."""

    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.variance_epsilon = eps

    def forward(self, x):
        variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * x


class T5Attention(nn.Module):
    """T5's self-attention: bias-free q/k/v/o, no score scaling, a relative position bias from bucketed
    (log-spaced) relative positions through an Embedding in the first layer only, reused by later layers;
    softmax in float then type_as, functional dropout."""

    def __init__(self, d, h, has_relative_attention_bias=False):
        super().__init__()
        self.n_heads, self.key_value_proj_dim = h, d // h
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.has_relative_attention_bias = has_relative_attention_bias
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(32, h)

    @staticmethod
    def relative_position_bucket(relative_position, num_buckets=16, max_distance=128):
        ret = (relative_position > 0).to(torch.long) * num_buckets
        n = torch.abs(relative_position)
        max_exact = num_buckets // 2
        large = max_exact + (torch.log(n.float() / max_exact + 1e-6) / math.log(max_distance / max_exact)
                             * (num_buckets - max_exact)).to(torch.long)
        large = torch.min(large, torch.full_like(large, num_buckets - 1))
        return ret + torch.where(n < max_exact, n, large)

    def forward(self, x, position_bias=None):
        B, T, _ = x.shape

        def shape(t):
            return t.view(B, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)

        q, k, v = shape(self.q(x)), shape(self.k(x)), shape(self.v(x))
        scores = torch.matmul(q, k.transpose(3, 2))
        if position_bias is None:
            context_position = torch.arange(T, dtype=torch.long)[:, None]
            memory_position = torch.arange(T, dtype=torch.long)[None, :]
            buckets = self.relative_position_bucket(memory_position - context_position)
            position_bias = self.relative_attention_bias(buckets).permute([2, 0, 1]).unsqueeze(0)
        scores = scores + position_bias
        attn_weights = F.softmax(scores.float(), dim=-1).type_as(scores)
        attn_weights = F.dropout(attn_weights, p=0.1, training=self.training)
        out = torch.matmul(attn_weights, v).transpose(1, 2).contiguous()
        out = out.view(B, -1, self.n_heads * self.key_value_proj_dim)
        return self.o(out), position_bias


class T5Block(nn.Module):
    """T5 encoder block: pre-RMS-norm self-attention and a ReLU feed-forward (wi, wo, no bias), dropout on each
    residual branch; passes the position bias on."""

    def __init__(self, d, h, ff, has_relative_attention_bias):
        super().__init__()
        self.ln1 = T5LayerNorm(d)
        self.attn = T5Attention(d, h, has_relative_attention_bias)
        self.ln2 = T5LayerNorm(d)
        self.wi = nn.Linear(d, ff, bias=False)
        self.wo = nn.Linear(ff, d, bias=False)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x, position_bias):
        a, position_bias = self.attn(self.ln1(x), position_bias)
        x = x + self.dropout(a)
        h = self.wo(self.dropout(F.relu(self.wi(self.ln2(x)))))
        x = x + self.dropout(h)
        return x, position_bias


class T5EncoderModel(nn.Module):
    """T5's encoder stack (3 blocks, d_model 256, 4 heads, d_ff 1024, vocab 32128): embedding dropout, the first
    block's relative position bias shared by all, final RMS norm and dropout; returns last_hidden_state."""

    def __init__(self, vocab=32128, d=256, h=4, ff=1024, n=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([T5Block(d, h, ff, i == 0) for i in range(n)])
        self.final = T5LayerNorm(d)
        self.drop = nn.Dropout(0.1)

    def forward(self, input_ids):
        x = self.drop(self.embed(input_ids))
        position_bias = None
        for block in self.blocks:
            x, position_bias = block(x, position_bias)
        return self.drop(self.final(x))


class TorchEncoder(nn.Module):
    """A BERT-style encoder on nn.TransformerEncoder (batch_first, dropout 0.1): token and learned position embeddings,
    LayerNorm, then the layers. In eval without grad PyTorch runs each layer as one kernel
    (torch._transformer_encoder_layer_fwd) unless a mask or an odd number of heads rules it out; then
    nn.MultiheadAttention runs F.multi_head_attention_forward."""

    def __init__(self, vocab=30522, d=256, h=4, ff=1024, n=3, act="gelu", norm_first=False, causal=False):
        super().__init__()
        self.causal = causal
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(512, d)
        self.norm = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(d, h, ff, dropout=0.1, activation=act, batch_first=True, norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, n, enable_nested_tensor=False)

    def forward(self, input_ids):
        pos = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.norm(self.emb(input_ids) + self.pos(pos))
        mask = None
        if self.causal:
            t = input_ids.shape[1]
            mask = torch.triu(torch.full((t, t), float("-inf"), device=x.device), diagonal=1)
        return self.encoder(x, mask=mask)


class FuncAttention(nn.Module):
    """Causal self-attention written with F.linear on its own parameters: a forward without submodules."""

    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.w_qkv = nn.Parameter(torch.randn(3 * d, d) * 0.02)
        self.b_qkv = nn.Parameter(torch.zeros(3 * d))
        self.w_o = nn.Parameter(torch.randn(d, d) * 0.02)

    def forward(self, x):
        B, T, C = x.shape
        qkv = F.linear(x, self.w_qkv, self.b_qkv)
        q, k, v = qkv.chunk(3, dim=-1)
        q = q.view(B, T, self.h, C // self.h).transpose(1, 2)
        k = k.view(B, T, self.h, C // self.h).transpose(1, 2)
        v = v.view(B, T, self.h, C // self.h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.h))
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return F.linear(y, self.w_o)


class FuncBlock(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = FuncAttention(d, h)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.proj(F.gelu(self.fc(self.ln2(x))))


class FuncGPT(nn.Module):
    """A GPT whose attention is a function of F.linear on the module's own weights (no submodules), like
    torchvision's Swin attention, in GPT-2's pre-norm blocks."""

    def __init__(self, vocab=16000, d=256, h=4, n=3):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(1024, d)
        self.blocks = nn.ModuleList([FuncBlock(d, h) for _ in range(n)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, input_ids):
        pos = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(pos)
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln_f(x))


def cbr2d(cin, cout, k, s=1, p=0, d=1):
    return [nn.Conv2d(cin, cout, k, s, p, d, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SpecCNN(nn.Module):
    """Spectrogram CNN on [B, 1, 128 mel, T] with non-square kernels / strides."""

    def __init__(self, n_classes=50):
        super().__init__()
        self.features = nn.Sequential(
            *cbr2d(1, 32, (1, 7), (1, 2), (0, 3)),       # along time, stride 2 in time
            *cbr2d(32, 32, (7, 1), (2, 1), (3, 0)),      # along frequency, stride 2 in freq
            *cbr2d(32, 64, (3, 1), 1, (1, 0)),
            nn.MaxPool2d((2, 1)),
            *cbr2d(64, 64, (1, 11), (1, 2), (0, 5)),
            *cbr2d(64, 128, (3, 3), 1, 1),
            nn.MaxPool2d((2, 2)),
            *cbr2d(128, 128, (1, 7), 1, (0, 3)),
            *cbr2d(128, 256, (3, 3), (2, 2), 1),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, n_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def cbr1d(cin, cout, k, s=1, d=1, drop=0.0):
    layers = [nn.Conv1d(cin, cout, k, s, d * (k - 1) // 2, d, bias=False), nn.BatchNorm1d(cout), nn.ReLU(inplace=True)]
    if drop:
        layers.append(nn.Dropout(drop))
    return layers


class Wav2LetterMini(nn.Module):
    """Jasper/wav2letter-like Conv1d stack on [B, 80 features, T]: kernels 11..31, stride 2, dilation 2."""

    def __init__(self, n_feats=80, n_classes=29):
        super().__init__()
        self.net = nn.Sequential(
            *cbr1d(n_feats, 256, 11, s=2, drop=0.1),
            *cbr1d(256, 256, 13, drop=0.1),
            *cbr1d(256, 256, 13, drop=0.1),
            *cbr1d(256, 384, 17, drop=0.1),
            *cbr1d(384, 384, 21, d=2, drop=0.1),
            *cbr1d(384, 512, 25, drop=0.1),
            *cbr1d(512, 512, 31, d=2, drop=0.1),
            *cbr1d(512, 1024, 1, drop=0.1),
            nn.Conv1d(1024, n_classes, 1),
        )

    def forward(self, x):
        return F.log_softmax(self.net(x), dim=1)


class QuartzNetMini(nn.Module):
    """QuartzNet-like (Kriman et al. 2020) Conv1d net on [B, 64 features, T]: time-channel separable convolutions
    (depthwise Conv1d, groups=C, kernels 33..87, then pointwise 1x1), BN, ReLU, residual per block."""

    class Block(nn.Module):
        def __init__(self, cin, cout, k, repeat=2):
            super().__init__()
            layers = []
            for r in range(repeat):
                c = cin if r == 0 else cout
                layers += [nn.Conv1d(c, c, k, padding=k // 2, groups=c, bias=False), nn.Conv1d(c, cout, 1, bias=False),
                           nn.BatchNorm1d(cout)]
                if r < repeat - 1:
                    layers.append(nn.ReLU(inplace=True))
            self.body = nn.Sequential(*layers)
            self.res = nn.Sequential(nn.Conv1d(cin, cout, 1, bias=False), nn.BatchNorm1d(cout))

        def forward(self, x):
            return F.relu(self.body(x) + self.res(x))

    def __init__(self, n_feats=64, n_classes=29):
        super().__init__()
        self.c1 = nn.Sequential(nn.Conv1d(n_feats, n_feats, 33, 2, 16, groups=n_feats, bias=False),
                                nn.Conv1d(n_feats, 256, 1, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(self.Block(256, 256, 33), self.Block(256, 256, 39), self.Block(256, 512, 51),
                                    self.Block(512, 512, 63), self.Block(512, 512, 75))
        self.c2 = nn.Sequential(nn.Conv1d(512, 512, 87, padding=86, dilation=2, groups=512, bias=False),
                                nn.Conv1d(512, 512, 1, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True),
                                nn.Conv1d(512, 1024, 1, bias=False), nn.BatchNorm1d(1024), nn.ReLU(inplace=True),
                                nn.Conv1d(1024, n_classes, 1))

    def forward(self, x):
        return self.c2(self.blocks(self.c1(x)))


class WaveCNN(nn.Module):
    """Raw-waveform Conv1d classifier on [B, 1, 16000] (long first kernel, stride 2, dilation, pooling)."""

    def __init__(self, n_classes=35):
        super().__init__()
        self.net = nn.Sequential(
            *cbr1d(1, 64, 31, s=2), nn.MaxPool1d(4),
            *cbr1d(64, 128, 11, s=2), *cbr1d(128, 128, 11, d=2), nn.MaxPool1d(4),
            *cbr1d(128, 256, 11), *cbr1d(256, 256, 11, d=2), nn.MaxPool1d(2),
            *cbr1d(256, 512, 3),
        )
        self.fc = nn.Linear(512, n_classes)

    def forward(self, x):
        return self.fc(self.net(x).mean(-1))


class M5(nn.Module):
    """M5 raw-waveform net (Dai et al. 2017, as in torchaudio's speech-command tutorial) on [B, 1, 16000]:
    Conv1d 80 s16, BN, ReLU, MaxPool1d(4), three Conv1d 3 blocks, adaptive average pool, linear."""

    def __init__(self, n_out=35, c=32):
        super().__init__()
        self.conv1, self.bn1, self.pool1 = nn.Conv1d(1, c, 80, stride=16), nn.BatchNorm1d(c), nn.MaxPool1d(4)
        self.conv2, self.bn2, self.pool2 = nn.Conv1d(c, c, 3), nn.BatchNorm1d(c), nn.MaxPool1d(4)
        self.conv3, self.bn3, self.pool3 = nn.Conv1d(c, 2 * c, 3), nn.BatchNorm1d(2 * c), nn.MaxPool1d(4)
        self.conv4, self.bn4 = nn.Conv1d(2 * c, 2 * c, 3), nn.BatchNorm1d(2 * c)
        self.fc1 = nn.Linear(2 * c, n_out)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = self.pool3(F.relu(self.bn3(self.conv3(x))))
        x = F.relu(self.bn4(self.conv4(x)))
        x = F.adaptive_avg_pool1d(x, 1).flatten(1)
        return self.fc1(x)


class VGGish(nn.Module):
    """VGGish-like log-mel CNN on [B, 1, 96 frames, 64 mels]: VGG blocks of 3x3 Conv2d + in-place ReLU and 2x2
    max-pool (32, 64, 128x2, 256x2 channels, no BN), Flatten, 512 and 128 Linear."""

    def __init__(self):
        super().__init__()

        def block(cin, cout, n):
            layers = []
            for k in range(n):
                layers += [nn.Conv2d(cin if k == 0 else cout, cout, 3, padding=1), nn.ReLU(inplace=True)]
            return layers + [nn.MaxPool2d(2, 2)]

        self.features = nn.Sequential(*block(1, 32, 1), *block(32, 64, 1), *block(64, 128, 2), *block(128, 256, 2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(256 * 6 * 4, 512), nn.ReLU(inplace=True), nn.Linear(512, 128))

    def forward(self, x):
        return self.head(self.features(x))


class TimeFreqCNN(nn.Module):
    """Time-frequency CNN on [B, 1, 64, 300]: separate 5x1 and 1x9 s(1,2) kernels, a grouped (groups=4) 9x1 kernel,
    a 3x5 kernel, BN, out-of-place ReLU, 2x2 max-pool, Dropout(0.2), adaptive average pool."""

    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 24, (5, 1), padding=(2, 0)), nn.BatchNorm2d(24), nn.ReLU(),
            nn.Conv2d(24, 48, (1, 9), stride=(1, 2), padding=(0, 4)), nn.BatchNorm2d(48), nn.ReLU(),
            nn.Conv2d(48, 48, (9, 1), groups=4, padding=(4, 0)), nn.BatchNorm2d(48), nn.ReLU(),
            nn.MaxPool2d((2, 2)), nn.Dropout(0.2),
            nn.Conv2d(48, 96, (3, 5), padding=(1, 2), dilation=(1, 1)), nn.BatchNorm2d(96), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, 10))

    def forward(self, x):
        return self.f(x)


class ConformerConvModule(nn.Module):
    """Conformer's convolution module (Gulati et al. 2020) on [B, T, d]: LayerNorm, transpose, pointwise Conv1d to
    2d, GLU over channels, depthwise Conv1d 31 (groups=d), BatchNorm1d, SiLU, pointwise Conv1d, dropout, residual."""

    def __init__(self, d=144, k=31):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.pw1 = nn.Conv1d(d, 2 * d, 1)
        self.dw = nn.Conv1d(d, d, k, padding=k // 2, groups=d)
        self.bn = nn.BatchNorm1d(d)
        self.pw2 = nn.Conv1d(d, d, 1)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        y = self.ln(x).transpose(1, 2)
        y = F.glu(self.pw1(y), dim=1)
        y = F.silu(self.bn(self.dw(y)))
        y = self.drop(self.pw2(y))
        return x + y.transpose(1, 2)


class ConformerMini(nn.Module):
    """Conformer-style audio encoder on [B, 200 frames, 80 features]: unsqueeze, two 3x3 s2 Conv2d subsampling
    (144 channels), transpose/reshape to [B, T', 144*19], Linear to 144, 3 convolution modules, linear output."""

    def __init__(self, feats=80, d=144, n=3):
        super().__init__()
        self.sub = nn.Sequential(nn.Conv2d(1, d, 3, 2), nn.ReLU(), nn.Conv2d(d, d, 3, 2), nn.ReLU())
        self.proj = nn.Linear(d * (((feats - 1) // 2 - 1) // 2), d)
        self.blocks = nn.Sequential(*[ConformerConvModule(d) for _ in range(n)])
        self.out = nn.Linear(d, 32)

    def forward(self, x):
        x = self.sub(x.unsqueeze(1))
        b, c, t, f = x.shape
        x = self.proj(x.transpose(1, 2).reshape(b, t, c * f))
        return self.out(self.blocks(x))


# ----------------------------------------------------------------------------------------------
# model specs
# ----------------------------------------------------------------------------------------------
def disable_stochastic_depth(model):
    for m in model.modules():
        if isinstance(m, torchvision.ops.StochasticDepth):
            m.p = 0.0
    return model


# name, family, kwargs, resolutions, [(config-selector, reason)] skipped by design
TV = torchvision.models
BOTH, ONLY224, ONLY160 = (224, 128), (224,), (160,)
NO_SECOND_RES = ("AdaptiveAvgPool2d(7 or 6) after the features: at 128/160 px the feature map is smaller than "
                 "the pool output, torch.onnx cannot export a non-divisible adaptive pool; 224 only")
AT160 = ("measured at 160 px only, a resolution between the zoo's 128 and 224, so that nothing is tuned to "
         "128/224 px; 224 and 128 px left out for the time budget")
VISION = [
    # (name, family, builder kwargs, resolutions, note)
    ("alexnet", "alexnet", {}, ONLY224, NO_SECOND_RES),
    ("vgg11", "vgg", {}, ONLY224, NO_SECOND_RES),
    ("vgg16", "vgg", {}, ONLY224, NO_SECOND_RES),
    ("vgg16_bn", "vgg", {}, ONLY224, NO_SECOND_RES),
    ("resnet18", "resnet", {}, BOTH, None),
    ("resnet50", "resnet", {}, BOTH, None),
    ("resnext50_32x4d", "resnext", {}, BOTH, None),
    ("wide_resnet50_2", "wide_resnet", {}, BOTH, None),
    ("densenet121", "densenet", {}, BOTH, None),
    ("googlenet", "googlenet", {"aux_logits": False, "init_weights": False}, BOTH, None),
    ("inception_v3", "inception", {"aux_logits": False, "init_weights": False}, BOTH, None),
    ("mobilenet_v2", "mobilenet", {}, BOTH, None),
    ("mobilenet_v3_small", "mobilenet", {}, BOTH, None),
    ("mobilenet_v3_large", "mobilenet", {}, BOTH, None),
    ("mnasnet1_0", "mnasnet", {}, BOTH, None),
    ("shufflenet_v2_x1_0", "shufflenet", {}, BOTH, None),
    ("squeezenet1_1", "squeezenet", {}, BOTH, None),
    ("efficientnet_b0", "efficientnet", {}, BOTH, None),
    ("efficientnet_b1", "efficientnet", {}, BOTH, None),
    ("efficientnet_v2_s", "efficientnet_v2", {}, BOTH, None),
    ("regnet_x_400mf", "regnet", {}, BOTH, None),
    ("regnet_y_800mf", "regnet", {}, BOTH, None),
    ("convnext_tiny", "convnext", {}, BOTH, None),
    ("swin_t", "swin", {}, BOTH, None),
    ("vit_b_16", "vit", {}, ONLY224, "ViT's learned positional embedding fixes the resolution: 224 only"),
    ("maxvit_t", "maxvit", {}, ONLY224, "MaxViT is built for one input size (image partitioning): 224 only"),
    ("swin_v2_t", "swin_v2", {}, BOTH, None),
    ("resnet34", "resnet", {}, BOTH, None),
    ("squeezenet1_0", "squeezenet", {}, BOTH, None),
    ("mnasnet0_5", "mnasnet", {}, BOTH, None),
    ("regnet_y_400mf", "regnet", {}, BOTH, None),
    ("vit_b_32", "vit", {}, ONLY224, "ViT's learned positional embedding fixes the resolution: 224 only"),
    # more torchvision builders: variants of the families above, at 160 px only (vgg13 at 224 only)
    ("resnet101", "resnet", {}, ONLY160, AT160),
    ("densenet169", "densenet", {}, ONLY160, AT160),
    ("efficientnet_b2", "efficientnet", {}, ONLY160, AT160),
    ("regnet_x_800mf", "regnet", {}, ONLY160, AT160),
    ("shufflenet_v2_x0_5", "shufflenet", {}, ONLY160, AT160),
    ("mnasnet0_75", "mnasnet", {}, ONLY160, AT160),
    ("vgg13", "vgg", {}, ONLY224, NO_SECOND_RES),
    # written here, not torchvision builders: their constructors and model configs are in VISION_CUSTOM
    ("timm_vit_tiny", "timm_vit", {}, ONLY224, "the learned pos_embed fixes the token count: 224 only"),
    ("mixer_small", "mlp_mixer", {}, ONLY224, "the token MLP's Linear(196, 392) fixes the token count: 224 only"),
]

# resolutions measured on top of a VISION entry's own, name -> tuple of px: new keys and files
# (<name>|<export>|b<batch>|<res>, <name>_<export>_<res>.onnx) that leave the model's 224/128 entries as they are;
# they exist to test that nothing in the estimate is tuned to 128/224 px
EXTRA_RESOLUTIONS = {
    "swin_t": (160,),
    "resnet18": (96,),
    "mobilenet_v2": (288,),
    "resnet50": (288,),
    "mobilenet_v3_large": (192,),
}
EXTRA_RES_NOTE = "extra resolution ({res} px, make_zoo.EXTRA_RESOLUTIONS) to test that nothing is tuned to 128/224 px"

# VISION entries built by a constructor written here instead of a torchvision builder: name -> ctor, model config
VISION_CUSTOM = {
    "timm_vit_tiny": dict(ctor=TimmViT,
                          cfg={"class": "TimmViT", "structure": "timm", "patch": 16, "dim": 192, "depth": 4, "heads": 3,
                               "mlp_ratio": 4, "classes": 1000,
                               "ops": "fused qkv Linear, reshape/permute/unbind, attn = attn.softmax(-1) rebinding, "
                                      "cls token cat + expand, learned pos_embed, head on x[:, 0]"}),
    "mixer_small": dict(ctor=MlpMixer,
                        cfg={"class": "MlpMixer", "patch": 16, "dim": 256, "depth": 4, "tokens": 196,
                             "token_mlp": "Linear(196, 392), GELU, Linear(392, 196) on the transposed [B, C, tokens]",
                             "channel_mlp": "Linear(256, 1024), GELU, Linear(1024, 256)", "classes": 1000}),
}

# configs skipped by design (too slow for the ~70 min budget on 1 thread, or impossible), key substring -> reason
SKIP_BY_DESIGN = {
    "swin_v2_t|": "export failed (torch 1.13): UnsupportedOperatorError: 'aten::zero' is not exportable to ONNX "
                  "opset 13 (swin v2's attention zeroes the key part of the qkv bias in forward: "
                  "qkv_bias[length:2*length].zero_()); not measured",
}

def torch_text(ctor, cfg):
    """A TEXT entry for TorchEncoder: input_ids in, last_hidden_state out."""
    return dict(family="torch_transformer_encoder", ctor=ctor, cfg=dict(cfg, **{"class": "TorchEncoder"}),
                inputs=lambda b, s: (torch.randint(0, 30522, (b, s)),), input_names=["input_ids"],
                output_names=["last_hidden_state"], loss=lambda out: out.float().sum(),
                loss_desc="last_hidden_state.float().sum()", dyn_out={"last_hidden_state": {0: "batch", 1: "sequence"}})


TEXT = {
    "gpt2_4l": dict(family="gpt2", ctor=lambda: mm.GPT2LMHeadModel(n_layer=4, n_embd=512, n_head=8),
                    cfg={"vocab_size": 50257, "n_embd": 512, "n_layer": 4, "n_head": 8, "n_positions": 1024,
                         "tied_lm_head": True},
                    inputs=lambda b, s: (torch.randint(0, 50257, (b, s)),), input_names=["input_ids"],
                    output_names=["logits"], loss=lambda out: out.float().sum(), loss_desc="logits.float().sum()",
                    dyn_out={"logits": {0: "batch", 1: "sequence"}}),
    "bert_4l": dict(family="bert", ctor=lambda: mm.BertModel(hidden=512, layers=4, heads=8, intermediate=2048),
                    cfg={"vocab_size": 30522, "hidden": 512, "layers": 4, "heads": 8, "intermediate": 2048,
                         "max_position": 512},
                    inputs=lambda b, s: (torch.randint(0, 30522, (b, s)), torch.ones(b, s, dtype=torch.long)),
                    input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state", "pooler_output"],
                    loss=lambda out: out[0].float().sum(), loss_desc="last_hidden_state.float().sum()",
                    dyn_out={"last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}}),
    "llama_4l": dict(family="llama", ctor=lambda: LlamaForCausalLM(),
                     cfg={"vocab_size": 32000, "hidden": 512, "layers": 4, "heads": 8, "intermediate": 1376,
                          "norm": "RMSNorm", "mlp": "SwiGLU", "rope": True, "bias": False, "tied_lm_head": False},
                     inputs=lambda b, s: (torch.randint(0, 32000, (b, s)),), input_names=["input_ids"],
                     output_names=["logits"], loss=lambda out: out.float().sum(), loss_desc="logits.float().sum()",
                     dyn_out={"logits": {0: "batch", 1: "sequence"}}),
    "hf_gpt2": dict(family="gpt2", ctor=lambda: HFGPT2LMHeadModel(),
                    cfg={"vocab_size": 50257, "n_embd": 384, "n_layer": 3, "n_head": 6, "n_positions": 1024,
                         "tied_lm_head": True, "structure": "huggingface",
                         "ops": "Conv1D (addmm), merged qkv split, bool causal-mask buffer with torch.where, "
                                "gelu(approximate='tanh')"},
                    inputs=lambda b, s: (torch.randint(0, 50257, (b, s)),), input_names=["input_ids"],
                    output_names=["logits"], loss=lambda out: out.float().sum(), loss_desc="logits.float().sum()",
                    dyn_out={"logits": {0: "batch", 1: "sequence"}}),
    "hf_bert": dict(family="bert", ctor=lambda: HFBertModel(),
                    cfg={"vocab_size": 30522, "hidden": 384, "layers": 3, "heads": 6, "intermediate": 1536,
                         "max_position": 512, "structure": "huggingface",
                         "ops": "nested BertAttention/BertSelfOutput/BertIntermediate/BertOutput, "
                                "additive extended mask, exact GELU"},
                    inputs=lambda b, s: (torch.randint(0, 30522, (b, s)), torch.ones(b, s, dtype=torch.long)),
                    input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state", "pooler_output"],
                    loss=lambda out: out[0].float().sum(), loss_desc="last_hidden_state.float().sum()",
                    dyn_out={"last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}}),
    "neox": dict(family="gpt_neox", ctor=lambda: NeoXForCausalLM(),
                 cfg={"vocab_size": 32000, "hidden": 384, "layers": 3, "heads": 6, "intermediate": 1536,
                      "rotary_pct": 0.25, "parallel_residual": True, "tied_lm_head": False, "structure": "huggingface",
                      "ops": "fused query_key_value viewed and sliced, partial rotary (einsum cos/sin, sliced "
                             "rotate_half, cat with the pass-through part), tril causal mask with torch.where, "
                             "parallel residual x + attn(ln1(x)) + mlp(ln2(x))"},
                 inputs=lambda b, s: (torch.randint(0, 32000, (b, s)),), input_names=["input_ids"],
                 output_names=["logits"], loss=lambda out: out.float().sum(), loss_desc="logits.float().sum()",
                 dyn_out={"logits": {0: "batch", 1: "sequence"}}),
    "t5enc": dict(family="t5_encoder", ctor=lambda: T5EncoderModel(),
                  cfg={"vocab_size": 32128, "d_model": 256, "layers": 3, "heads": 4, "d_ff": 1024,
                       "relative_attention_num_buckets": 16, "relative_attention_embedding": 32,
                       "relative_attention_max_distance": 128, "norm": "T5LayerNorm (RMS, float32 variance)",
                       "ffn": "ReLU, no bias", "dropout": 0.1, "structure": "huggingface",
                       "ops": "relative position bias (bucketed log-spaced positions, Embedding, permute) computed "
                              "in the first layer and reused, unscaled scores, softmax(float).type_as, RMS norm"},
                  inputs=lambda b, s: (torch.randint(0, 32128, (b, s)),), input_names=["input_ids"],
                  output_names=["last_hidden_state"], loss=lambda out: out.float().sum(),
                  loss_desc="last_hidden_state.float().sum()",
                  dyn_out={"last_hidden_state": {0: "batch", 1: "sequence"}}),
    # nn.TransformerEncoder: the fast path (post-norm GELU; pre-norm), and the Python path (a causal mask; odd heads)
    "torch_enc": torch_text(lambda: TorchEncoder(), {"d": 256, "heads": 4, "ff": 1024, "layers": 3, "activation": "gelu"}),
    "torch_enc_prenorm": torch_text(lambda: TorchEncoder(h=8, ff=2048, norm_first=True),
                                    {"d": 256, "heads": 8, "ff": 2048, "layers": 3, "norm_first": True}),
    "torch_enc_causal": torch_text(lambda: TorchEncoder(causal=True),
                                   {"d": 256, "heads": 4, "ff": 1024, "layers": 3, "mask": "causal float -inf"}),
    "torch_enc_odd": torch_text(lambda: TorchEncoder(d=192, h=3, ff=768, act="relu"),
                                {"d": 192, "heads": 3, "ff": 768, "layers": 3, "activation": "relu"}),
    "func_gpt": dict(family="gpt2", ctor=lambda: FuncGPT(),
                     cfg={"vocab_size": 16000, "n_embd": 256, "n_layer": 3, "n_head": 4, "structure": "functional attention",
                          "ops": "F.linear on the attention's own parameters, chunk, masked_fill causal mask"},
                     inputs=lambda b, s: (torch.randint(0, 16000, (b, s)),), input_names=["input_ids"],
                     output_names=["logits"], loss=lambda out: out.float().sum(), loss_desc="logits.float().sum()",
                     dyn_out={"logits": {0: "batch", 1: "sequence"}}),
}
TEXT_SEQ, TEXT_BATCH = (128, 512), (1, 4)

AUDIO = {
    "spec_cnn": dict(family="audio_spec_cnn", ctor=SpecCNN, shape=(1, 128, 400), res="t400",
                     cfg={"mels": 128, "frames": 400, "kernels": "1x7 s(1,2), 7x1 s(2,1), 3x1, 1x11 s(1,2), 3x3, 1x7"},
                     extra=[((1, 128, 1000), "t1000")]),
    "wav2letter_mini": dict(family="audio_conv1d", ctor=Wav2LetterMini, shape=(80, 800), res="t800",
                            cfg={"features": 80, "frames": 800, "kernels": "11 s2, 13, 13, 17, 21 d2, 25, 31 d2, 1, 1",
                                 "dropout": 0.1},
                            extra=[((80, 1600), "t1600")]),
    "wave_cnn": dict(family="audio_conv1d", ctor=WaveCNN, shape=(1, 16000), res="t16000",
                     cfg={"samples": 16000, "kernels": "31 s2, 11 s2, 11 d2, 11, 11 d2, 3"}),
    "quartznet_mini": dict(family="audio_conv1d_separable", ctor=QuartzNetMini, shape=(64, 800), res="t800",
                           cfg={"features": 64, "frames": 800,
                                "kernels": "depthwise 33 s2, 33, 39, 51, 63, 75 (x2 each), 87 d2; pointwise 1"},
                           extra=[((64, 1600), "t1600")]),
    "davenet": dict(family="audio_davenet", ctor=mm.Davenet, shape=(1, 40, 1024), res="t1024",
                    cfg={"mels": 40, "frames": 1024, "kernels": "40x1, 1x11, 1x17 x3, maxpool 1x3 s(1,2)",
                         "source": "tests/models/make_models.py Davenet"}),
    "m5": dict(family="audio_raw_wave", ctor=M5, shape=(1, 16000), res="t16000",
               cfg={"samples": 16000, "channels": 32, "kernels": "80 s16, 3, 3, 3; maxpool 4 x3; adaptive avg pool",
                    "classes": 35}),
    "vggish": dict(family="audio_vggish", ctor=VGGish, shape=(1, 96, 64), res="m96",
                   cfg={"frames": 96, "mels": 64, "kernels": "3x3 (32, 64, 128 x2, 256 x2), maxpool 2x2 x4, no BN",
                        "head": "Flatten, Linear(6144, 512), ReLU, Linear(512, 128)"}),
    "tfcnn": dict(family="audio_time_frequency", ctor=TimeFreqCNN, shape=(1, 64, 300), res="t300",
                  cfg={"mels": 64, "frames": 300, "kernels": "5x1, 1x9 s(1,2), 9x1 groups=4, 3x5; maxpool 2x2",
                       "dropout": 0.2, "classes": 10}),
    "conformer": dict(family="audio_conformer", ctor=ConformerMini, shape=(200, 80), res="t200",
                      cfg={"frames": 200, "features": 80, "d_model": 144, "conv_modules": 3,
                           "subsampling": "Conv2d 3x3 s2 x2 (144 channels)",
                           "conv_module": "LayerNorm, pointwise Conv1d 144->288, GLU, depthwise Conv1d 31 "
                                          "(groups=144), BatchNorm1d, SiLU, pointwise Conv1d, dropout 0.1, residual"}),
}
AUDIO_BATCH = (1, 8)


def vision_ctor(name, kwargs):
    custom = VISION_CUSTOM.get(name)

    def build():
        torch.manual_seed(0)
        if custom:
            return custom["ctor"](**kwargs)
        return disable_stochastic_depth(getattr(TV, name)(weights=None, **kwargs))
    return build


def plan():
    """All configurations: dicts with key, file (stem), export, family, category, build, inputs, ..."""
    cfgs = []
    for name, family, kw, resolutions, note in VISION:
        build = vision_ctor(name, kw)
        for export in ("eval", "train"):
            for res in tuple(resolutions) + EXTRA_RESOLUTIONS.get(name, ()):
                res_note = note if res in resolutions else EXTRA_RES_NOTE.format(res=res)
                for b in (1, 8):
                    cfgs.append(dict(
                        key=f"{name}|{export}|b{b}|{res}", model=name, family=family, category="vision", export=export,
                        stem=f"{name}_{export}_{res}", build=build,
                        inputs=(lambda b=b, res=res: (torch.randn(b, 3, res, res),)), input_names=["input"],
                        output_names=["output"], dyn={"input": {0: "batch"}, "output": {0: "batch"}},
                        export_inputs=(lambda res=res: (torch.randn(2, 3, res, res),)), opset=OPSET_VISION,
                        loss=lambda out: out.float().sum(), loss_desc="output.float().sum()",
                        config={"batch": b, "height": res, "width": res, "input_shape": [b, 3, res, res]},
                        model_config=(VISION_CUSTOM[name]["cfg"] if name in VISION_CUSTOM
                                      else {"torchvision_builder": name, "kwargs": kw, "weights": None}),
                        note=res_note))
    for name, t in TEXT.items():
        def build(t=t):
            torch.manual_seed(0)
            return t["ctor"]()
        dyn = {n: {0: "batch", 1: "sequence"} for n in t["input_names"]}
        dyn.update(t["dyn_out"])
        for export in ("eval", "train"):
            for s in TEXT_SEQ:
                for b in TEXT_BATCH:
                    cfgs.append(dict(
                        key=f"{name}|{export}|b{b}|s{s}", model=name, family=t["family"], category="transformer",
                        export=export, stem=f"{name}_{export}", build=build,
                        inputs=(lambda b=b, s=s, t=t: t["inputs"](b, s)), input_names=t["input_names"],
                        output_names=t["output_names"], dyn=dyn, export_inputs=(lambda t=t: t["inputs"](2, 16)),
                        opset=OPSET_TEXT, loss=t["loss"], loss_desc=t["loss_desc"],
                        config={"batch": b, "sequence": s, "input_shape": [b, s]}, model_config=t["cfg"], note=None))
    for name, a in AUDIO.items():
        def build(a=a):
            torch.manual_seed(0)
            return a["ctor"]()
        # the first length's files are <name>_<export>.onnx, extra lengths' <name>_<export>_<res>.onnx
        lengths = [(a["shape"], a["res"], "")] + [(sh, r, "_" + r) for sh, r in a.get("extra", [])]
        for export in ("eval", "train"):
            for shape, res, suffix in lengths:
                for b in AUDIO_BATCH:
                    cfgs.append(dict(
                        key=f"{name}|{export}|b{b}|{res}", model=name, family=a["family"], category="audio",
                        export=export, stem=f"{name}_{export}{suffix}", build=build,
                        inputs=(lambda b=b, shape=shape: (torch.randn(b, *shape),)), input_names=["input"],
                        output_names=["output"], dyn={"input": {0: "batch"}, "output": {0: "batch"}},
                        export_inputs=(lambda shape=shape: (torch.randn(2, *shape),)), opset=OPSET_AUDIO,
                        loss=lambda out: out.float().sum(), loss_desc="output.float().sum()",
                        config={"batch": b, "input_shape": [b, *shape]}, model_config=a["cfg"], note=None))
    return cfgs


# ----------------------------------------------------------------------------------------------
# export + validation
# ----------------------------------------------------------------------------------------------
def export(cfg):
    """Export cfg's model weight-free to MODELS/<stem>.onnx; return info dict (raises on failure)."""
    t0 = time.time()
    training = cfg["export"] == "train"
    model = cfg["build"]()
    model.train(training)
    mm.perturb(model)  # distinct values, so the eval exporter does not merge identical initializers
    f = io.BytesIO()
    # not under torch.no_grad(): in eval mode without grad, nn.MultiheadAttention (ViT) takes the
    # _native_multi_head_attention fast path, which torch.onnx cannot export
    torch.onnx.export(model, cfg["export_inputs"](), f, export_params=True,
                      training=torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL,
                      opset_version=cfg["opset"], do_constant_folding=not training,
                      input_names=cfg["input_names"], output_names=cfg["output_names"],
                      dynamic_axes=cfg["dyn"])
    proto = onnx.load_model_from_string(f.getvalue())
    del f, model
    onnx.checker.check_model(proto)  # full check while the weights are still present
    mm.HERE = MODELS  # save_stripped writes into make_models.HERE
    path = mm.save_stripped(proto, cfg["stem"])
    del proto
    gc.collect()
    return {"file": os.path.basename(path), "size_bytes": os.path.getsize(path), "opset": cfg["opset"],
            "mode": "TRAINING" if training else "EVAL", "do_constant_folding": not training,
            "dynamic_axes": cfg["dyn"], "export_s": round(time.time() - t0, 1)}


def validate(cfg, path):
    """Load the stripped file, run mm.check (checker + shape inference) and compare inputs with the config."""
    try:
        status = mm.check(path)
    except Exception as ex:  # noqa: BLE001  (shape inference)
        status = f"shape inference: {type(ex).__name__}: {str(ex)[:200]}"
    m = onnx.load(path, load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    ins = [mm._dims(i) for i in m.graph.input if i.name not in inits]
    names = [i["name"] for i in ins]
    problems = []
    if names != cfg["input_names"]:
        problems.append(f"input names {names} != {cfg['input_names']}")
    sample = cfg["inputs"]()
    for i, t in zip(ins, sample):
        want = list(t.shape)
        for ax, nm in cfg["dyn"].get(i["name"], {}).items():
            want[ax] = nm
        if i["shape"] != want:
            problems.append(f"{i['name']} shape {i['shape']} != {want}")
    return status, ins, problems


# ----------------------------------------------------------------------------------------------
# measuring (thin wrappers around measure_memory.py)
# ----------------------------------------------------------------------------------------------
SLIM_TRAIN = ("optimizer", "params_bytes", "buffers_bytes", "optimizer_state_bytes", "held_at_start_bytes",
              "step_peak_above_start_bytes", "training_step_peak_bytes", "training_step_peak_with_held_bytes",
              "peak_phase", "end_of_step_above_start_bytes", "grads_bytes_after_step", "output_bytes",
              "memory_events")
SLIM_SAVED = ("saved_activation_bytes", "input_bytes", "activation_bytes_excluding_input", "excluded_param_bytes",
              "excluded_buffer_bytes", "distinct_storages", "pack_calls", "by_dtype", "output_shapes")


def measure(cfg):
    mcfg = {"build": cfg["build"], "inputs": cfg["inputs"], "loss": cfg["loss"]}
    inputs = cfg["inputs"]()
    e = {"export": cfg["export"], "file": cfg["stem"] + ".onnx", "family": cfg["family"], "category": cfg["category"],
         "model": cfg["model"], "config": cfg["config"], "model_config": cfg["model_config"],
         "inputs": mmem.input_desc(cfg["input_names"], inputs), "dtype": "float32", "device": "cpu"}
    del inputs
    t0 = time.time()
    if cfg["export"] == "eval":
        inf = mmem.measure_inference(mcfg)
        e["params_bytes"], e["buffers_bytes"] = inf["params_bytes"], inf["buffers_bytes"]
        e["inference_peak_above_start_bytes"] = inf["inference_peak_above_start_bytes"]
        e["inference_peak_bytes"] = inf["inference_peak_bytes"]
        e["inference"] = {k: inf[k] for k in ("input_bytes", "output_bytes", "memory_events")}
    else:
        e["loss"] = cfg["loss_desc"]
        sa = mmem.measure_saved(mcfg)
        gc.collect()
        e["saved_activation_bytes"] = sa["saved_activation_bytes"]
        e["saved_activations"] = {k: sa[k] for k in SLIM_SAVED}
        tr = mmem.measure_train(mcfg, "adam")
        gc.collect()
        slim = {k: tr[k] for k in SLIM_TRAIN}
        slim["phases"] = {p: {"peak_bytes": v["peak_bytes"], "at_end_bytes": v["at_end_bytes"]}
                          for p, v in tr["phases"].items()}
        e["params_bytes"], e["buffers_bytes"] = tr["params_bytes"], tr["buffers_bytes"]
        e["training"] = {"adam": slim}
        e["training_step_peak_with_held_bytes"] = tr["training_step_peak_with_held_bytes"]
        e["optimizer_state_bytes"] = tr["optimizer_state_bytes"]
        e["peak_phase"] = tr["peak_phase"]
    e["measure_s"] = round(time.time() - t0, 1)
    return e


# ----------------------------------------------------------------------------------------------
def load(path=OUT):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def save(result, path=OUT):
    """Writes `result` with "_meta" first and the entries sorted, number lists on one line;
    tests/recipes/make_recipes.py writes recipes.json with it too."""
    ordered = {"_meta": result["_meta"]}
    ordered.update({k: result[k] for k in sorted(k for k in result if k != "_meta")})
    text = json.dumps(ordered, indent=1)
    text = re.sub(r"\[\s+([-+0-9.eE]+(?:,\s+[-+0-9.eE]+)*)\s+\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except Exception:  # noqa: BLE001
        pass
    return "?"


def models_dir_bytes():
    return sum(os.path.getsize(os.path.join(MODELS, f)) for f in os.listdir(MODELS) if f.endswith(".onnx"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated substrings; a config runs if its key has any")
    ap.add_argument("--skip", default="", help="comma-separated substrings; a config is skipped if its key has any")
    ap.add_argument("--list", action="store_true", help="print the plan and exit")
    ap.add_argument("--redo", action="store_true", help="re-measure configs already in zoo.json")
    ap.add_argument("--reexport", action="store_true", help="re-export ONNX files that exist")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--budget-s", type=float, default=0, help="stop starting new configs after this many seconds")
    args = ap.parse_args()
    only = [w for w in args.only.split(",") if w]
    skip = [w for w in args.skip.split(",") if w]
    os.makedirs(MODELS, exist_ok=True)

    cfgs = [c for c in plan() if (not only or any(w in c["key"] for w in only)) and not any(w in c["key"] for w in skip)]
    if args.list:
        for c in cfgs:
            print(c["key"], c["stem"] + ".onnx")
        print(len(cfgs), "configs")
        return

    result = load()
    meta = result.setdefault("_meta", {})
    meta.setdefault("skipped", {})
    meta.setdefault("exports", {})
    meta.setdefault("runs", [])
    skipped, exports = meta["skipped"], meta["exports"]
    t_all = time.time()
    done_now = []
    failed_stems = {}
    exported_now = set()
    for c in cfgs:
        k = c["key"]
        if args.budget_s and time.time() - t_all > args.budget_s:
            print("budget reached; stopping", flush=True)
            break
        reason = next((r for w, r in SKIP_BY_DESIGN.items() if w in k), None)
        if reason:
            skipped[k] = reason
            continue
        if k in result and not args.redo and not args.export_only:
            continue
        path = os.path.join(MODELS, c["stem"] + ".onnx")
        # --- export (once per file)
        if c["stem"] in failed_stems:
            skipped[k] = failed_stems[c["stem"]]
            continue
        if (args.reexport and c["stem"] not in exported_now) or not os.path.exists(path):
            print(f"-- export {c['stem']}", flush=True)
            try:
                info = export(c)
                status, ins, problems = validate(c, path)
                info.update({"check": status, "inputs": ins, "problems": problems})
                exports[c["stem"] + ".onnx"] = info
                exported_now.add(c["stem"])
                print(f"   {info['size_bytes']} B, {info['export_s']} s, {status}, problems={problems}", flush=True)
            except Exception as ex:  # noqa: BLE001
                msg = f"export failed: {type(ex).__name__}: {str(ex).splitlines()[0][:300] if str(ex) else ''}"
                traceback.print_exc()
                failed_stems[c["stem"]] = msg
                skipped[k] = msg
                if os.path.exists(path):
                    os.remove(path)
                continue
        if args.export_only:
            continue
        # --- measure
        print(f"== {k}", flush=True)
        t0 = time.time()
        try:
            e = measure(c)
        except Exception as ex:  # noqa: BLE001
            msg = f"measurement failed: {type(ex).__name__}: {str(ex).splitlines()[0][:300] if str(ex) else ''}"
            print("   " + msg, flush=True)
            skipped[k] = msg
            gc.collect()
            save(result)
            continue
        e["wall_s"] = round(time.time() - t0, 1)
        if c["note"]:
            e["note"] = c["note"]
        result[k] = e
        skipped.pop(k, None)
        done_now.append(k)
        if e["export"] == "eval":
            print(f"   infer_peak={e['inference_peak_bytes']} above_start={e['inference_peak_above_start_bytes']} "
                  f"{e['wall_s']}s", flush=True)
        else:
            print(f"   saved={e['saved_activation_bytes']} adam_peak={e['training_step_peak_with_held_bytes']} "
                  f"[{e['peak_phase']}] {e['wall_s']}s", flush=True)
        meta_update(meta, result)
        save(result)
        gc.collect()
    if done_now:
        meta["runs"].append({"date": datetime.datetime.now().isoformat(timespec="seconds"),
                             "wall_s": round(time.time() - t_all, 1), "configs_measured": len(done_now),
                             "args": sys.argv[1:]})
    meta_update(meta, result)
    save(result)
    print(f"done: {len(done_now)} configs in {time.time() - t_all:.1f}s; models dir {models_dir_bytes()} bytes",
          flush=True)


def meta_update(meta, result):
    entries = {k: v for k, v in result.items() if not k.startswith("_")}
    meta.update({
        "generated_by": "tests/zoo/make_zoo.py",
        "definitions": "tests/measure/measure_memory.py docstring (measure_inference / measure_saved / "
                       "measure_train(adam)); see also the docstring of tests/zoo/make_zoo.py",
        "torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
        "python": sys.version.split()[0], "num_threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(), "device": "cpu", "dtype": "float32",
        "machine": cpu_name(), "date": datetime.date.today().isoformat(),
        "optimizer": mmem.OPTIMIZERS["adam"][0],
        "stochastic_depth": "torchvision StochasticDepth disabled (p=0) in both measurement and export",
        "configs": len(entries),
        "measuring_wall_s_total": round(sum(v.get("wall_s", 0) for v in entries.values()), 1),
        "models_dir_bytes": models_dir_bytes(),
    })
    not_planned = {}
    for name, _fam, _kw, resolutions, note in VISION:
        if len(resolutions) == 1 and note:
            not_planned[f"{name} at {'/'.join(str(r) for r in BOTH if r not in resolutions)} px"] = note
    covered = {v[0] for v in VISION}
    builders = sorted(n for n in dir(TV) if not n.startswith("_") and callable(getattr(TV, n)) and n[0].islower()
                      and n not in ("get_weight", "get_model_weights", "get_model_builder", "get_model", "list_models"))
    rest = [n for n in builders if n not in covered]
    not_planned["other torchvision classification builders"] = {
        "reason": "bigger/smaller variants of families already covered; left out to stay within the ~70 min "
                  "measuring budget on one CPU thread and the ~25 MB file budget",
        "builders": rest}
    meta["not_planned"] = not_planned
    counts = {}
    for v in entries.values():
        ck = f"{v['category']}_{v['export']}"
        counts[ck] = counts.get(ck, 0) + 1
    meta["config_counts"] = dict(sorted(counts.items()))


if __name__ == "__main__":
    main()
