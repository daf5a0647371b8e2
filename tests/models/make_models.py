#!/usr/bin/python3
"""Generate the ONNX test models and the PyTorch reference figures for Footprint.

How to rerun
------------
    cd tests/models
    /usr/bin/python3 make_models.py            # rebuild everything
    /usr/bin/python3 make_models.py gpt2_2l tiny_conv   # rebuild a subset

Needs the Debian packages python3-torch (1.13), python3-torchvision (0.14) and
python3-onnx (1.12) (numpy comes with them).  It runs on CPU with a single thread;
the whole run takes a few minutes and peaks at roughly 3-4 GB of RAM (GPT-2 12 layers).
The torch models are randomly initialised (seeded), never downloaded.

What it makes (all in the directory of this script)
---------------------------------------------------
PyTorch exports (torch.onnx.export, do_constant_folding=True):
  resnet50_train.onnx       torchvision resnet50, TrainingMode.TRAINING (BatchNormalization kept), opset 13, batch dynamic
  resnet50.onnx             resnet50 eval (BN folded into Conv), opset 13, batch/height/width dynamic
  mobilenet_v2_train.onnx   torchvision mobilenet_v2, TRAINING, opset 13, batch dynamic
  vgg16.onnx                torchvision vgg16 eval, opset 13, batch dynamic
  resnet18_train.onnx       torchvision resnet18, TRAINING, opset 13, batch/height/width dynamic
  davenet_audio.onnx        DAVEnet audio branch (Harwath et al. 2018), input [batch,1,40,1024], TRAINING, opset 13
  gpt2_12l.onnx             HF-GPT2-style decoder written in plain torch (12 layers, 768, 12 heads, vocab 50257), opset 14,
                            input_ids int64 [batch, sequence]
  gpt2_2l.onnx              same with 2 layers
  bert_2l.onnx              HF-BERT-style encoder in plain torch (2 layers, hidden 256, 4 heads, ffn 1024), opset 12,
                            inputs input_ids / attention_mask int64 [batch, sequence]
  lstm_gru.onnx             nn.LSTM(32,64) -> nn.GRU(64,48), input [seq, batch, 32], opset 13
Hand-built with onnx.helper:
  if_loop.onnx              If (two branches) + Loop (Add body, loop-carried state + scan output), static shapes, opset 13
  tf_style_nhwc.onnx        tf2onnx-like NHWC graph: input "input:0" [unk__12,224,224,3], Transpose/Conv/Relu/Transpose/
                            ReduceMean/MatMul/Add, opset 13
  paddle_style_constants.onnx  paddle2onnx-like graph, weights held in Constant nodes (inline real values), opset 11
  decoder_genai.onnx        onnxruntime-genai-style 2-layer decoder: input_ids, attention_mask [batch,
                            total_sequence_length], past_key_values.N.key/value [batch, 1, past_sequence_length, 16];
                            SimplifiedLayerNormalization, MatMulNBits (4-bit) Q/K/V/O, GroupQueryAttention (4 heads,
                            1 KV head), present.N.key/value; com.microsoft opset 1
  llama7b_genai.onnx        LLaMA-7B's shapes (32 layers, hidden 4096, 32 heads, ffn 11008, vocabulary 32000, fp16)
                            in onnxruntime-genai's layout with plain MatMul weights, external data absent
  audio_stft.onnx           openWakeWord-melspectrogram-like: samples [1, ?] (an anonymous length) -> Unsqueeze ->
                            Conv(W[257,1,512], stride 160) real and imaginary -> squared and summed, opset 13
  tiny_mlp.onnx             X[2,4] -> Gemm(W[3,4],transB=1,b[3]) -> Relu -> MatMul(W2[3,5]) -> Y[2,5], inline weights
  tiny_conv.onnx            X[1,3,8,8] -> Conv(W[4,3,3,3],B[4],pads 1) -> Relu -> MaxPool 2/2 -> Flatten
                            -> Gemm(W[10,64],transB=1,b[10]) -> Y[1,10], inline weights

Weight stripping: every model except paddle_style_constants/tiny_mlp/tiny_conv is saved with
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=<stem>.weights, size_threshold=1024)
and the <stem>.weights file is then deleted.  The committed .onnx therefore keeps every
initializer's name/dims/dtype plus its external_data record (location/offset/length) but no
bytes; initializers under ~1 KiB (shape constants, biases of small layers) stay inline.
(onnx compares sys.getsizeof(raw_data) >= 1024, i.e. raw bytes + 33 >= 1024.)
Constant-node attributes are never externalised.

reference.json
--------------
Keyed by file name, plus "_meta" (versions and definitions).  For the torch models the figures
come from PyTorch only (parameters, buffers and forward hooks at batch 1, natural input size):
  trainable_params      sum(p.numel() for p in model.parameters() if p.requires_grad)
                        (model.parameters() de-duplicates tied weights: GPT-2 lm_head/wte counted once)
  buffers               elements of BatchNorm running_mean + running_var (num_batches_tracked excluded)
  other_buffers         any other registered buffers (causal masks, position id tables), name -> numel
  macs                  multiply-accumulates, no bias terms:
                          nn.Conv2d  N*Cout*Hout*Wout*(Cin/groups)*kh*kw
                          nn.Linear / HF Conv1D (addmm)  rows * in * out
                          attention torch.matmul (QK^T and AV) counted explicitly in the module code
                          nn.LSTM  seq*batch*4*hidden*(input+hidden) per layer; nn.GRU  3*hidden*(input+hidden)
                          tiny_mlp's bare MatMul counted explicitly
                        Not counted: BN, pooling, activations, softmax, element-wise adds, embeddings gathers.
  macs_breakdown        the same split by category
  leaf_output_elements  sum over every call of every leaf module (module without children) of the
                        numel of all tensors in its output (tuples flattened; a module called k times counts
                        k times; Dropout/Identity count too; functional ops like F.relu, residual adds,
                        torch.matmul are NOT modules and are not counted)
  input_shape(s), output_shapes   as used for the measurement (batch 1)
Additionally every entry has "onnx_file": figures read back from the written .onnx with the python
onnx package (file size, node counts, op histogram, initializer counts/elements, graph I/O).  These
are a cross-check of the files, not PyTorch measurements.
"""

import io
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
REF_PATH = os.path.join(HERE, "reference.json")

torch.set_num_threads(1)


# ----------------------------------------------------------------------------------------------
# Explicit MAC counter used by the hand-written attention code
# ----------------------------------------------------------------------------------------------
class _Counter:
    active = False
    matmul_macs = 0


def count_matmul(a, b, out):
    """MACs of torch.matmul(a, b) -> out: out.numel() * inner dim."""
    if _Counter.active:
        _Counter.matmul_macs += out.numel() * a.shape[-1]


# ----------------------------------------------------------------------------------------------
# DAVEnet (Harwath et al. 2018), verbatim architecture
# ----------------------------------------------------------------------------------------------
class Davenet(nn.Module):
    def __init__(self, embedding_dim=1024):
        super().__init__()
        self.batchnorm1 = nn.BatchNorm2d(1)
        self.conv1 = nn.Conv2d(1, 128, kernel_size=(40, 1), stride=(1, 1), padding=(0, 0))
        self.conv2 = nn.Conv2d(128, 256, kernel_size=(1, 11), stride=(1, 1), padding=(0, 5))
        self.conv3 = nn.Conv2d(256, 512, kernel_size=(1, 17), stride=(1, 1), padding=(0, 8))
        self.conv4 = nn.Conv2d(512, 512, kernel_size=(1, 17), stride=(1, 1), padding=(0, 8))
        self.conv5 = nn.Conv2d(512, embedding_dim, kernel_size=(1, 17), stride=(1, 1), padding=(0, 8))
        self.pool = nn.MaxPool2d(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1))

    def forward(self, x):
        if x.dim() == 3:
            x = x.unsqueeze(1)
        x = self.batchnorm1(x)
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.pool(x)
        x = F.relu(self.conv3(x))
        x = self.pool(x)
        x = F.relu(self.conv4(x))
        x = self.pool(x)
        x = F.relu(self.conv5(x))
        x = self.pool(x)
        x = x.squeeze(2)
        return x


# ----------------------------------------------------------------------------------------------
# GPT-2, written the way HuggingFace transformers' modeling_gpt2.py does it
# ----------------------------------------------------------------------------------------------
class Conv1D(nn.Module):
    """HF Conv1D: a linear layer with transposed weight [nx, nf], computed with addmm."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        x = x.view(size_out)
        return x


class NewGELUActivation(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, n_embd, n_head, n_positions):
        super().__init__()
        self.register_buffer(
            "bias",
            torch.tril(torch.ones((n_positions, n_positions), dtype=torch.bool)).view(1, 1, n_positions, n_positions),
        )  # persistent (as in transformers < 4.31) -> exported as an initializer, not a 1 MB Constant node
        self.embed_dim = n_embd
        self.num_heads = n_head
        self.head_dim = n_embd // n_head
        self.split_size = n_embd
        self.c_attn = Conv1D(3 * n_embd, n_embd)
        self.c_proj = Conv1D(n_embd, n_embd)
        self.attn_dropout = nn.Dropout(0.1)
        self.resid_dropout = nn.Dropout(0.1)

    def _attn(self, query, key, value):
        kt = key.transpose(-1, -2)
        attn_weights = torch.matmul(query, kt)
        count_matmul(query, kt, attn_weights)
        attn_weights = attn_weights / torch.full([], value.size(-1) ** 0.5, dtype=attn_weights.dtype)
        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length: key_length, :key_length].bool()
        mask_value = torch.finfo(attn_weights.dtype).min
        mask_value = torch.full([], mask_value, dtype=attn_weights.dtype)
        attn_weights = torch.where(causal_mask, attn_weights, mask_value)
        attn_weights = F.softmax(attn_weights, dim=-1)
        attn_weights = self.attn_dropout(attn_weights)
        attn_output = torch.matmul(attn_weights, value)
        count_matmul(attn_weights, value, attn_output)
        return attn_output

    def _split_heads(self, tensor, num_heads, attn_head_size):
        new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
        tensor = tensor.view(new_shape)
        return tensor.permute(0, 2, 1, 3)  # (batch, head, seq_length, head_features)

    def _merge_heads(self, tensor, num_heads, attn_head_size):
        tensor = tensor.permute(0, 2, 1, 3).contiguous()
        new_shape = tensor.size()[:-2] + (num_heads * attn_head_size,)
        return tensor.view(new_shape)

    def forward(self, hidden_states):
        query, key, value = self.c_attn(hidden_states).split(self.split_size, dim=2)
        query = self._split_heads(query, self.num_heads, self.head_dim)
        key = self._split_heads(key, self.num_heads, self.head_dim)
        value = self._split_heads(value, self.num_heads, self.head_dim)
        attn_output = self._attn(query, key, value)
        attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
        attn_output = self.c_proj(attn_output)
        attn_output = self.resid_dropout(attn_output)
        return attn_output


class GPT2MLP(nn.Module):
    def __init__(self, intermediate_size, n_embd):
        super().__init__()
        self.c_fc = Conv1D(intermediate_size, n_embd)
        self.c_proj = Conv1D(n_embd, intermediate_size)
        self.act = NewGELUActivation()
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states):
        hidden_states = self.c_fc(hidden_states)
        hidden_states = self.act(hidden_states)
        hidden_states = self.c_proj(hidden_states)
        hidden_states = self.dropout(hidden_states)
        return hidden_states


class GPT2Block(nn.Module):
    def __init__(self, n_embd, n_head, n_positions, eps=1e-5):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, eps=eps)
        self.attn = GPT2Attention(n_embd, n_head, n_positions)
        self.ln_2 = nn.LayerNorm(n_embd, eps=eps)
        self.mlp = GPT2MLP(4 * n_embd, n_embd)

    def forward(self, hidden_states):
        residual = hidden_states
        hidden_states = self.ln_1(hidden_states)
        attn_output = self.attn(hidden_states)
        hidden_states = attn_output + residual
        residual = hidden_states
        hidden_states = self.ln_2(hidden_states)
        feed_forward_hidden_states = self.mlp(hidden_states)
        hidden_states = residual + feed_forward_hidden_states
        return hidden_states


class GPT2LMHeadModel(nn.Module):
    def __init__(self, vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(n_positions, n_embd)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)
        self.drop = nn.Dropout(0.1)
        self.h = nn.ModuleList([GPT2Block(n_embd, n_head, n_positions) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, eps=1e-5)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied

    def forward(self, input_ids):
        input_shape = input_ids.size()
        input_ids = input_ids.view(-1, input_shape[-1])
        position_ids = torch.arange(0, input_shape[-1], dtype=torch.long, device=input_ids.device)
        position_ids = position_ids.unsqueeze(0).view(-1, input_shape[-1])
        inputs_embeds = self.wte(input_ids)
        position_embeds = self.wpe(position_ids)
        hidden_states = inputs_embeds + position_embeds
        hidden_states = self.drop(hidden_states)
        output_shape = input_shape + (hidden_states.size(-1),)
        for block in self.h:
            hidden_states = block(hidden_states)
        hidden_states = self.ln_f(hidden_states)
        hidden_states = hidden_states.view(output_shape)
        lm_logits = self.lm_head(hidden_states)
        return lm_logits


# ----------------------------------------------------------------------------------------------
# BERT, written the way HuggingFace transformers' modeling_bert.py does it
# ----------------------------------------------------------------------------------------------
class BertEmbeddings(nn.Module):
    def __init__(self, vocab_size, hidden, max_pos, type_vocab):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden)
        self.position_embeddings = nn.Embedding(max_pos, hidden)
        self.token_type_embeddings = nn.Embedding(type_vocab, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(max_pos).expand((1, -1)))
        self.register_buffer("token_type_ids", torch.zeros(self.position_ids.size(), dtype=torch.long))

    def forward(self, input_ids):
        input_shape = input_ids.size()
        seq_length = input_shape[1]
        position_ids = self.position_ids[:, :seq_length]
        buffered_token_type_ids = self.token_type_ids[:, :seq_length]
        token_type_ids = buffered_token_type_ids.expand(input_shape[0], seq_length)
        inputs_embeds = self.word_embeddings(input_ids)
        token_type_embeddings = self.token_type_embeddings(token_type_ids)
        embeddings = inputs_embeds + token_type_embeddings
        position_embeddings = self.position_embeddings(position_ids)
        embeddings = embeddings + position_embeddings
        embeddings = self.LayerNorm(embeddings)
        embeddings = self.dropout(embeddings)
        return embeddings


class BertSelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.num_attention_heads = heads
        self.attention_head_size = hidden // heads
        self.all_head_size = hidden
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(0.1)

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask):
        query_layer = self.transpose_for_scores(self.query(hidden_states))
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        kt = key_layer.transpose(-1, -2)
        attention_scores = torch.matmul(query_layer, kt)
        count_matmul(query_layer, kt, attention_scores)
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        attention_scores = attention_scores + attention_mask
        attention_probs = F.softmax(attention_scores, dim=-1)
        attention_probs = self.dropout(attention_probs)
        context_layer = torch.matmul(attention_probs, value_layer)
        count_matmul(attention_probs, value_layer, context_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        context_layer = context_layer.view(new_context_layer_shape)
        return context_layer


class BertSelfOutput(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states)
        return self.LayerNorm(hidden_states + input_tensor)


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.attention_self = BertSelfAttention(hidden, heads)
        self.attention_output = BertSelfOutput(hidden)
        self.intermediate_dense = nn.Linear(hidden, intermediate)
        self.intermediate_act = nn.GELU()  # exact (erf) GELU
        self.output_dense = nn.Linear(intermediate, hidden)
        self.output_dropout = nn.Dropout(0.1)
        self.output_LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, hidden_states, attention_mask):
        self_out = self.attention_self(hidden_states, attention_mask)
        attention_output = self.attention_output(self_out, hidden_states)
        intermediate = self.intermediate_act(self.intermediate_dense(attention_output))
        out = self.output_dropout(self.output_dense(intermediate))
        return self.output_LayerNorm(out + attention_output)


class BertModel(nn.Module):
    def __init__(self, vocab_size=30522, hidden=256, layers=2, heads=4, intermediate=1024, max_pos=512, type_vocab=2):
        super().__init__()
        self.embeddings = BertEmbeddings(vocab_size, hidden, max_pos, type_vocab)
        self.layer = nn.ModuleList([BertLayer(hidden, heads, intermediate) for _ in range(layers)])
        self.pooler_dense = nn.Linear(hidden, hidden)
        self.pooler_act = nn.Tanh()

    def forward(self, input_ids, attention_mask):
        extended_attention_mask = attention_mask[:, None, None, :]
        extended_attention_mask = extended_attention_mask.to(dtype=torch.float32)
        extended_attention_mask = (1.0 - extended_attention_mask) * -10000.0
        hidden_states = self.embeddings(input_ids)
        for layer in self.layer:
            hidden_states = layer(hidden_states, extended_attention_mask)
        first_token_tensor = hidden_states[:, 0]
        pooled_output = self.pooler_act(self.pooler_dense(first_token_tensor))
        return hidden_states, pooled_output


# ----------------------------------------------------------------------------------------------
# LSTM -> GRU
# ----------------------------------------------------------------------------------------------
class LstmGru(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(32, 64, num_layers=1)
        self.gru = nn.GRU(64, 48)

    def forward(self, x):
        y, _ = self.lstm(x)
        z, _ = self.gru(y)
        return z


# ----------------------------------------------------------------------------------------------
# Tiny torch twins of the hand-built models (for PyTorch-measured reference figures)
# ----------------------------------------------------------------------------------------------
class TinyMlp(nn.Module):
    def __init__(self, W, b, W2):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.relu = nn.ReLU()
        self.W2 = nn.Parameter(torch.tensor(W2))
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor(W))
            self.fc.bias.copy_(torch.tensor(b))

    def forward(self, x):
        h = self.relu(self.fc(x))
        y = torch.matmul(h, self.W2)
        count_matmul(h, self.W2, y)
        return y


class TinyConv(nn.Module):
    def __init__(self, Wc, Bc, Wf, Bf):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=1, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor(Wc))
            self.conv.bias.copy_(torch.tensor(Bc))
            self.fc.weight.copy_(torch.tensor(Wf))
            self.fc.bias.copy_(torch.tensor(Bf))

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.relu(self.conv(x)))))


# ----------------------------------------------------------------------------------------------
# Measurement with PyTorch
# ----------------------------------------------------------------------------------------------
def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def measure(model, inputs):
    """Return PyTorch reference figures for `model` run on `inputs` (tuple), in eval mode, no grad."""
    model.eval()
    macs = {"conv2d": 0, "linear": 0, "attention_matmul": 0, "rnn": 0}
    leaf = [0]
    hooks = []

    def conv_hook(m, inp, out):
        kh, kw = m.kernel_size
        macs["conv2d"] += out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m, inp, out):
        macs["linear"] += out.numel() * m.in_features

    def conv1d_hook(m, inp, out):  # HF Conv1D: weight [nx, nf]
        macs["linear"] += out.numel() * m.weight.shape[0]

    def rnn_hook(m, inp, out):
        x = inp[0]
        seq, batch = (x.shape[0], x.shape[1]) if not m.batch_first else (x.shape[1], x.shape[0])
        gates = 4 if isinstance(m, nn.LSTM) else 3
        dirs = 2 if m.bidirectional else 1
        in_size = m.input_size
        for layer in range(m.num_layers):
            macs["rnn"] += dirs * seq * batch * gates * m.hidden_size * (in_size + m.hidden_size)
            in_size = m.hidden_size * dirs

    def leaf_hook(m, inp, out):
        leaf[0] += sum(t.numel() for t in _tensors(out))

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, Conv1D):
            hooks.append(m.register_forward_hook(conv1d_hook))
        elif isinstance(m, (nn.LSTM, nn.GRU)):
            hooks.append(m.register_forward_hook(rnn_hook))
        if len(list(m.children())) == 0:
            hooks.append(m.register_forward_hook(leaf_hook))

    _Counter.active, _Counter.matmul_macs = True, 0
    try:
        with torch.no_grad():
            out = model(*inputs)
    finally:
        _Counter.active = False
        for h in hooks:
            h.remove()
    macs["attention_matmul"] = _Counter.matmul_macs

    bn_buffers = 0
    other_buffers = {}
    bn_types = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
    bn_names = set()
    for mname, m in model.named_modules():
        if isinstance(m, bn_types):
            bn_buffers += m.running_mean.numel() + m.running_var.numel()
            bn_names.update({f"{mname}.running_mean", f"{mname}.running_var", f"{mname}.num_batches_tracked"})
    for bname, b in model.named_buffers():
        if bname not in bn_names:
            other_buffers[bname] = b.numel()

    return {
        "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "buffers": bn_buffers,
        "other_buffers": other_buffers,
        "macs": sum(macs.values()),
        "macs_breakdown": {k: v for k, v in macs.items() if v},
        "leaf_output_elements": leaf[0],
        "input_shape": list(inputs[0].shape) if len(inputs) == 1 else None,
        "input_shapes": [list(t.shape) for t in inputs],
        "output_shapes": [list(t.shape) for t in _tensors(out)],
    }


# ----------------------------------------------------------------------------------------------
# Saving / read-back
# ----------------------------------------------------------------------------------------------
def save_stripped(model_proto, name):
    """Save with all >=1KiB initializers as external data, then delete the data file."""
    path = os.path.join(HERE, name + ".onnx")
    wpath = os.path.join(HERE, name + ".weights")
    for p in (path, wpath):
        if os.path.exists(p):
            os.remove(p)  # onnx appends to an existing data file
    onnx.save_model(model_proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=name + ".weights", size_threshold=1024)
    if os.path.exists(wpath):
        os.remove(wpath)
    return path


def save_inline(model_proto, name):
    path = os.path.join(HERE, name + ".onnx")
    onnx.save_model(model_proto, path)
    return path


def _dims(vi):
    t = vi.type.tensor_type
    dims = []
    for d in t.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append("?")
    return {"name": vi.name, "elem_type": TensorProto.DataType.Name(t.elem_type), "shape": dims}


def _count_nodes(graph):
    top = len(graph.node)
    total = top
    for n in graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                total += _count_nodes(a.g)[1]
            elif a.type == onnx.AttributeProto.GRAPHS:
                for g in a.graphs:
                    total += _count_nodes(g)[1]
    return top, total


def readback(path):
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    ops = {}
    for n in g.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    n_ext = 0
    elems = 0
    for t in g.initializer:
        elems += int(np.prod(t.dims)) if len(t.dims) else 1
        if t.data_location == TensorProto.EXTERNAL:
            n_ext += 1
    const_elems = 0
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    const_elems += int(np.prod(a.t.dims)) if len(a.t.dims) else 1
    top, total = _count_nodes(g)
    init_names = {t.name for t in g.initializer}
    return {
        "size_bytes": os.path.getsize(path),
        "opset": {o.domain or "ai.onnx": o.version for o in m.opset_import},
        "ir_version": m.ir_version,
        "nodes": top,
        "nodes_including_subgraphs": total,
        "nodes_excluding_constant": top - ops.get("Constant", 0),
        "op_types": dict(sorted(ops.items())),
        "initializers": len(g.initializer),
        "initializers_external": n_ext,
        "initializer_elements": elems,
        "constant_node_elements": const_elems,
        "inputs": [_dims(i) for i in g.input if i.name not in init_names],
        "outputs": [_dims(o) for o in g.output],
    }


def check(path):
    """checker + shape inference on the stripped file (weights absent, so only the structure)."""
    m = onnx.load(path, load_external_data=False)
    try:
        onnx.checker.check_model(m)
        status = "ok"
    except Exception as e:
        msg = str(e)
        if "doesn't exist or is not accessible" in msg:
            # Only complaint is the deleted .weights file; the full model (weights present) already
            # passed onnx.checker.check_model before it was stripped.
            status = "ok (checked with weights before stripping; stripped file lacks only the deleted .weights)"
        else:
            status = "checker: " + msg.splitlines()[0][:200]
    onnx.shape_inference.infer_shapes(m)
    return status


def perturb(model, seed=1234):
    """Give every parameter / BN statistic distinct values, like a trained model.

    torch.onnx.export (eval mode) de-duplicates initializers with identical values, so freshly
    initialised models (LayerNorm/BN weights all 1, biases all 0, BN-folded conv biases all 0) would
    come out with shared initializers that no real checkpoint has.  The weights are stripped from
    the files anyway; only the graph structure matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.01)
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
                m.running_mean.add_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.mul_(1.0 + torch.rand(m.running_var.shape, generator=g) * 0.1)


def torch_export(model, args, name, opset, input_names, output_names, dynamic_axes, training=False):
    perturb(model)
    f = io.BytesIO()
    torch.onnx.export(
        model, args, f,
        export_params=True,
        training=torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL,
        opset_version=opset,
        do_constant_folding=True,
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
    )
    proto = onnx.load_model_from_string(f.getvalue())
    del f
    onnx.checker.check_model(proto)  # full check while the weights are still present
    return save_stripped(proto, name)


# ----------------------------------------------------------------------------------------------
# Model builders (torch)
# ----------------------------------------------------------------------------------------------
def vision(name, ctor, training, hw_dynamic):
    def build():
        torch.manual_seed(0)
        model = ctor(weights=None)
        dyn = {0: "batch"}
        if hw_dynamic:
            dyn.update({2: "height", 3: "width"})
        model.train(training)
        path = torch_export(model, (torch.randn(2, 3, 224, 224),), name, 13, ["input"], ["output"],
                            {"input": dyn, "output": {0: "batch"}}, training=training)
        ref = measure(model, (torch.randn(1, 3, 224, 224),))
        ref["export"] = {"mode": "TRAINING" if training else "EVAL", "opset": 13,
                         "dynamic_axes": {"input": dyn, "output": {0: "batch"}}}
        return path, ref
    return build


def build_davenet():
    torch.manual_seed(0)
    model = Davenet().train()
    name = "davenet_audio"
    dyn = {"input": {0: "batch"}, "output": {0: "batch"}}
    path = torch_export(model, (torch.randn(2, 1, 40, 1024),), name, 13, ["input"], ["output"], dyn, training=True)
    ref = measure(model, (torch.randn(1, 1, 40, 1024),))
    ref["export"] = {"mode": "TRAINING", "opset": 13, "dynamic_axes": dyn}
    return path, ref


def gpt2(name, n_layer):
    def build():
        torch.manual_seed(0)
        model = GPT2LMHeadModel(n_layer=n_layer).eval()
        dyn = {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
        path = torch_export(model, (torch.randint(0, 50257, (2, 8)),), name, 14, ["input_ids"], ["logits"], dyn)
        ref = measure(model, (torch.randint(0, 50257, (1, 128)),))
        ref["config"] = {"vocab_size": 50257, "n_positions": 1024, "n_embd": 768, "n_layer": n_layer, "n_head": 12}
        ref["export"] = {"mode": "EVAL", "opset": 14, "dynamic_axes": dyn}
        ref["note"] = ("lm_head.weight is tied to wte.weight and counted once in trainable_params; the ONNX file "
                       "holds it twice (Gather table + constant-folded transposed MatMul weight). The per-layer "
                       "causal-mask buffers (bool [1,1,1024,1024]) are identical, so the exporter keeps one "
                       "initializer (h.0.attn.bias) and feeds the other layers through Identity nodes.")
        del model
        return path, ref
    return build


def build_bert():
    torch.manual_seed(0)
    model = BertModel().eval()
    name = "bert_2l"
    dyn = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
           "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}}
    ids = torch.randint(0, 30522, (2, 8))
    mask = torch.ones(2, 8, dtype=torch.long)
    path = torch_export(model, (ids, mask), name, 12, ["input_ids", "attention_mask"],
                        ["last_hidden_state", "pooler_output"], dyn)
    ref = measure(model, (torch.randint(0, 30522, (1, 128)), torch.ones(1, 128, dtype=torch.long)))
    ref["config"] = {"vocab_size": 30522, "hidden": 256, "layers": 2, "heads": 4, "intermediate": 1024,
                     "max_position": 512, "type_vocab": 2}
    ref["export"] = {"mode": "EVAL", "opset": 12, "dynamic_axes": dyn}
    return path, ref


def build_lstm_gru():
    torch.manual_seed(0)
    model = LstmGru().eval()
    name = "lstm_gru"
    dyn = {"input": {0: "seq", 1: "batch"}, "output": {0: "seq", 1: "batch"}}
    path = torch_export(model, (torch.randn(10, 2, 32),), name, 13, ["input"], ["output"], dyn)
    ref = measure(model, (torch.randn(10, 1, 32),))
    ref["export"] = {"mode": "EVAL", "opset": 13, "dynamic_axes": dyn}
    ref["note"] = "macs = 10*1*4*64*(32+64) [LSTM] + 10*1*3*48*(64+48) [GRU]; bias adds not counted"
    return path, ref


# ----------------------------------------------------------------------------------------------
# Hand-built models
# ----------------------------------------------------------------------------------------------
def _vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def _model(graph, opset, producer="footprint-tests", producer_version="1"):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name=producer, producer_version=producer_version)
    m.ir_version = 7 if opset <= 13 else 8
    onnx.checker.check_model(m)
    m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    return m


def build_if_loop():
    rng = np.random.default_rng(10)
    W = numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "W")
    Bv = numpy_helper.from_array(rng.standard_normal((4,)).astype(np.float32), "B")
    M = numpy_helper.from_array(np.array(5, dtype=np.int64), "trip_count")
    loop_cond0 = numpy_helper.from_array(np.array(True), "loop_cond")
    w_then = numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "W_then_value")

    # then: MatMul(X, W_then) with W_then a Constant inside the branch
    then_g = helper.make_graph(
        [helper.make_node("Constant", [], ["W_then"], value=w_then, name="then_const"),
         helper.make_node("MatMul", ["X", "W_then"], ["then_out"], name="then_matmul")],
        "then_branch", [], [_vi("then_out", TensorProto.FLOAT, [2, 4])],
        value_info=[_vi("W_then", TensorProto.FLOAT, [3, 4])])
    # else: Relu(MatMul(X, W)) with W an outer-scope initializer
    else_g = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["else_mm"], name="else_matmul"),
         helper.make_node("Relu", ["else_mm"], ["else_out"], name="else_relu")],
        "else_branch", [], [_vi("else_out", TensorProto.FLOAT, [2, 4])],
        value_info=[_vi("else_mm", TensorProto.FLOAT, [2, 4])])
    # loop body: v_out = Add(v_in, B); cond passthrough; scan output = v_out
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"], name="body_cond"),
         helper.make_node("Add", ["v_in", "B"], ["v_out"], name="body_add"),
         helper.make_node("Identity", ["v_out"], ["scan_out"], name="body_scan")],
        "loop_body",
        [_vi("iter", TensorProto.INT64, []), _vi("cond_in", TensorProto.BOOL, []),
         _vi("v_in", TensorProto.FLOAT, [2, 4])],
        [_vi("cond_out", TensorProto.BOOL, []), _vi("v_out", TensorProto.FLOAT, [2, 4]),
         _vi("scan_out", TensorProto.FLOAT, [2, 4])])
    nodes = [
        helper.make_node("If", ["cond"], ["if_out"], name="if0", then_branch=then_g, else_branch=else_g),
        helper.make_node("Loop", ["trip_count", "loop_cond", "if_out"], ["Y", "Y_scan"], name="loop0", body=body),
    ]
    g = helper.make_graph(nodes, "if_loop",
                          [_vi("X", TensorProto.FLOAT, [2, 3]), _vi("cond", TensorProto.BOOL, [])],
                          [_vi("Y", TensorProto.FLOAT, [2, 4]), _vi("Y_scan", TensorProto.FLOAT, [5, 2, 4])],
                          initializer=[W, Bv, M, loop_cond0],
                          value_info=[_vi("if_out", TensorProto.FLOAT, [2, 4])])
    m = _model(g, 13)
    path = save_stripped(m, "if_loop")
    return path, {"note": "hand-built; all tensors < 1 KiB so nothing is externalised. "
                          "Loop runs trip_count=5 iterations: Y = if_out + 5*B, Y_scan [5,2,4]."}


def build_tf_style():
    rng = np.random.default_rng(11)
    name = "tf_style_nhwc"
    W = numpy_helper.from_array(rng.standard_normal((16, 3, 3, 3)).astype(np.float32),
                                "StatefulPartitionedCall/model/conv2d/Conv2D/ReadVariableOp:0")
    Bc = numpy_helper.from_array(rng.standard_normal((16,)).astype(np.float32),
                                 "StatefulPartitionedCall/model/conv2d/BiasAdd/ReadVariableOp:0")
    Wd = numpy_helper.from_array(rng.standard_normal((16, 10)).astype(np.float32),
                                 "StatefulPartitionedCall/model/dense/MatMul/ReadVariableOp:0")
    Bd = numpy_helper.from_array(rng.standard_normal((10,)).astype(np.float32),
                                 "StatefulPartitionedCall/model/dense/BiasAdd/ReadVariableOp:0")
    p = "StatefulPartitionedCall/model/"
    nodes = [
        helper.make_node("Transpose", ["input:0"], [p + "conv2d/Conv2D__6:0"], name=p + "conv2d/Conv2D__6",
                         perm=[0, 3, 1, 2]),
        helper.make_node("Conv", [p + "conv2d/Conv2D__6:0", W.name, Bc.name], [p + "conv2d/BiasAdd:0"],
                         name=p + "conv2d/BiasAdd", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                         dilations=[1, 1], group=1),
        helper.make_node("Relu", [p + "conv2d/BiasAdd:0"], [p + "conv2d/Relu:0"], name=p + "conv2d/Relu"),
        helper.make_node("Transpose", [p + "conv2d/Relu:0"], [p + "conv2d/Relu__8:0"], name=p + "conv2d/Relu__8",
                         perm=[0, 2, 3, 1]),
        helper.make_node("ReduceMean", [p + "conv2d/Relu__8:0"], [p + "global_average_pooling2d/Mean:0"],
                         name=p + "global_average_pooling2d/Mean", axes=[1, 2], keepdims=0),
        helper.make_node("MatMul", [p + "global_average_pooling2d/Mean:0", Wd.name], [p + "dense/MatMul:0"],
                         name=p + "dense/MatMul"),
        helper.make_node("Add", [p + "dense/MatMul:0", Bd.name], ["Identity:0"], name=p + "dense/BiasAdd"),
    ]
    g = helper.make_graph(nodes, "tf2onnx",
                          [_vi("input:0", TensorProto.FLOAT, ["unk__12", 224, 224, 3])],
                          [_vi("Identity:0", TensorProto.FLOAT, ["unk__12", 10])],
                          initializer=[W, Bc, Wd, Bd])
    m = _model(g, 13, producer="tf2onnx", producer_version="1.9.3 1190aa")
    path = save_stripped(m, name)
    return path, {"note": "hand-built tf2onnx mimic; conv weight [16,3,3,3] (1728 B) is external, the rest inline."}


def build_paddle_style():
    rng = np.random.default_rng(12)
    name = "paddle_style_constants"

    def const(out, arr):
        return helper.make_node("Constant", [], [out], name=out,
                                value=numpy_helper.from_array(arr.astype(np.float32), out))

    nodes = [
        const("conv2d_0.w_0", rng.standard_normal((8, 3, 3, 3)) * 0.1),
        const("conv2d_0.b_0", rng.standard_normal((8,)) * 0.1),
        const("linear_0.w_0", rng.standard_normal((8, 4)) * 0.1),
        const("linear_0.b_0", rng.standard_normal((4,)) * 0.1),
        helper.make_node("Conv", ["x", "conv2d_0.w_0", "conv2d_0.b_0"], ["conv2d_1.tmp_0"], name="p2o.Conv.0",
                         kernel_shape=[3, 3], strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1], group=1),
        helper.make_node("Relu", ["conv2d_1.tmp_0"], ["relu_0.tmp_0"], name="p2o.Relu.0"),
        helper.make_node("GlobalAveragePool", ["relu_0.tmp_0"], ["pool2d_0.tmp_0"], name="p2o.GlobalAveragePool.0"),
        helper.make_node("Flatten", ["pool2d_0.tmp_0"], ["flatten_0.tmp_0"], name="p2o.Flatten.0", axis=1),
        helper.make_node("MatMul", ["flatten_0.tmp_0", "linear_0.w_0"], ["linear_1.tmp_0"], name="p2o.MatMul.0"),
        helper.make_node("Add", ["linear_1.tmp_0", "linear_0.b_0"], ["save_infer_model/scale_0.tmp_0"],
                         name="p2o.Add.0"),
    ]
    g = helper.make_graph(nodes, "paddle-onnx",
                          [_vi("x", TensorProto.FLOAT, ["p2o.DynamicDimension.0", 3, 32, 32])],
                          [_vi("save_infer_model/scale_0.tmp_0", TensorProto.FLOAT, ["p2o.DynamicDimension.0", 4])])
    m = _model(g, 11, producer="PaddlePaddle", producer_version="1.0")
    path = save_inline(m, name)
    return path, {"note": "hand-built paddle2onnx mimic; weights are Constant nodes with inline values "
                          "(conv 216+8, linear 32+4 = 260 floats); no initializers.",
                  "constant_weight_elements": 8 * 3 * 3 * 3 + 8 + 8 * 4 + 4}


def build_audio_stft():
    """An STFT written as two Convs, as openWakeWord's melspectrogram and Silero VAD do, over an
    input whose length has neither a size nor a name. Shorter than the 512-sample window (the
    default length 1) the Convs cannot run and everything after them has an unknown shape."""
    name = "audio_stft"
    rng = np.random.default_rng(15)
    real = numpy_helper.from_array((rng.standard_normal((257, 1, 512)) * 0.05).astype(np.float32), "stft_real")
    imag = numpy_helper.from_array((rng.standard_normal((257, 1, 512)) * 0.05).astype(np.float32), "stft_imag")
    axes = numpy_helper.from_array(np.array([1], np.int64), "axes")
    nodes = [
        helper.make_node("Unsqueeze", ["samples", "axes"], ["framed_input"], name="Unsqueeze_0"),
        helper.make_node("Conv", ["framed_input", "stft_real"], ["re"], name="Conv_real", kernel_shape=[512],
                         strides=[160]),
        helper.make_node("Conv", ["framed_input", "stft_imag"], ["im"], name="Conv_imag", kernel_shape=[512],
                         strides=[160]),
        helper.make_node("Mul", ["re", "re"], ["re2"], name="Mul_re"),
        helper.make_node("Mul", ["im", "im"], ["im2"], name="Mul_im"),
        helper.make_node("Add", ["re2", "im2"], ["power"], name="Add_power"),
    ]
    samples = helper.make_tensor_value_info("samples", TensorProto.FLOAT, [1, None])
    samples.type.tensor_type.shape.dim[1].Clear()  # neither dim_value nor dim_param
    power = helper.make_tensor_value_info("power", TensorProto.FLOAT, [1, 257, None])
    power.type.tensor_type.shape.dim[2].Clear()
    g = helper.make_graph(nodes, "audio-stft", [samples], [power],
                          initializer=[real, imag, axes])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="footprint-tests")
    m.ir_version = 7
    onnx.checker.check_model(m)
    path = save_stripped(m, name)
    return path, {"note": "hand-built; frames = (samples - 512) // 160 + 1; at 16000 samples 97 frames x 257 "
                          "filters; MACs 2 x 97 x 257 x 512; at samples 1 the Convs cannot run",
                  "trainable_params": 2 * 257 * 512}


def _genai_mask_reformat():
    """onnxruntime-genai's attention-mask reformat: seqlens_k = sum(mask) - 1 and
    total_seq_len = mask.shape[1], both int32, as GroupQueryAttention takes them (reads the
    initializers "one" and "axis1")."""
    return [
        helper.make_node("ReduceSum", ["attention_mask", "axis1"], ["mask_sum"], name="/model/attn_mask_reformat/ReduceSum", keepdims=0),
        helper.make_node("Sub", ["mask_sum", "one"], ["mask_sub"], name="/model/attn_mask_reformat/Sub"),
        helper.make_node("Cast", ["mask_sub"], ["seqlens_k"], name="/model/attn_mask_reformat/Cast", to=TensorProto.INT32),
        helper.make_node("Shape", ["attention_mask"], ["mask_shape"], name="/model/attn_mask_reformat/Shape"),
        helper.make_node("Gather", ["mask_shape", "one"], ["total_len64"], name="/model/attn_mask_reformat/Gather", axis=0),
        helper.make_node("Squeeze", ["total_len64"], ["total_len64s"], name="/model/attn_mask_reformat/Squeeze"),
        helper.make_node("Cast", ["total_len64s"], ["total_seq_len"], name="/model/attn_mask_reformat/Cast_1", to=TensorProto.INT32),
    ]


def build_decoder_genai():
    """A small decoder in onnxruntime-genai's layout (its model builder's names and operators):
    hidden 64, 4 query heads and 1 KV head of 16, vocabulary 100, two layers, weights packed to
    4 bits in blocks of 32. The KV cache after P + T tokens at batch B is 2 layers x 2 (key,
    value) x 1 head x 16 x (P + T) x B x 4 bytes."""
    name = "decoder_genai"
    hidden, heads, kv_heads, head, vocab, layers = 64, 4, 1, 16, 100, 2
    inits = [numpy_helper.from_array(np.zeros((vocab, hidden), np.float32), "model.embed_tokens.weight"),
             numpy_helper.from_array(np.array([1], np.int64), "one"),
             numpy_helper.from_array(np.array([1], np.int64), "axis1")]
    nodes = [
        helper.make_node("Gather", ["model.embed_tokens.weight", "input_ids"], ["h0"], name="/model/embed_tokens/Gather"),
    ] + _genai_mask_reformat()

    def packed(prefix, n):
        inits.append(numpy_helper.from_array(np.zeros((n, hidden // 32, 16), np.uint8), prefix + ".qweight"))
        inits.append(numpy_helper.from_array(np.zeros((n * (hidden // 32),), np.float32), prefix + ".scales"))
        return [prefix + ".qweight", prefix + ".scales"]

    inputs = [_vi("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              _vi("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"])]
    outputs = []
    x = "h0"
    for i in range(layers):
        p = f"/model/layers.{i}"
        inits.append(numpy_helper.from_array(np.ones((hidden,), np.float32), f"model.layers.{i}.input_layernorm.weight"))
        nodes.append(helper.make_node("SimplifiedLayerNormalization", [x, f"model.layers.{i}.input_layernorm.weight"],
                                      [f"{p}/norm"], name=f"{p}/input_layernorm/LayerNorm", axis=-1, epsilon=1e-6))
        for proj, n in (("q", heads * head), ("k", kv_heads * head), ("v", kv_heads * head)):
            nodes.append(helper.make_node("MatMulNBits", [f"{p}/norm"] + packed(f"model.layers.{i}.attn.{proj}_proj", n),
                                          [f"{p}/{proj}"], name=f"{p}/attn/{proj}_proj/MatMul_Q4", domain="com.microsoft",
                                          K=hidden, N=n, bits=4, block_size=32))
        for kv in ("key", "value"):
            inputs.append(_vi(f"past_key_values.{i}.{kv}", TensorProto.FLOAT,
                              ["batch_size", kv_heads, "past_sequence_length", head]))
            outputs.append(_vi(f"present.{i}.{kv}", TensorProto.FLOAT, ["batch_size", kv_heads, "total_sequence_length", head]))
        nodes.append(helper.make_node("GroupQueryAttention",
                                      [f"{p}/q", f"{p}/k", f"{p}/v", f"past_key_values.{i}.key", f"past_key_values.{i}.value",
                                       "seqlens_k", "total_seq_len"],
                                      [f"{p}/attn_out", f"present.{i}.key", f"present.{i}.value"],
                                      name=f"{p}/attn/GroupQueryAttention", domain="com.microsoft",
                                      num_heads=heads, kv_num_heads=kv_heads))
        nodes.append(helper.make_node("MatMulNBits", [f"{p}/attn_out"] + packed(f"model.layers.{i}.attn.o_proj", hidden),
                                      [f"{p}/o"], name=f"{p}/attn/o_proj/MatMul_Q4", domain="com.microsoft",
                                      K=hidden, N=hidden, bits=4, block_size=32))
        nodes.append(helper.make_node("Add", [x, f"{p}/o"], [f"{p}/residual"], name=f"{p}/residual/Add"))
        x = f"{p}/residual"
    inits.append(numpy_helper.from_array(np.zeros((hidden, vocab), np.float32), "lm_head.weight"))
    nodes.append(helper.make_node("MatMul", [x, "lm_head.weight"], ["logits"], name="/lm_head/MatMul"))
    outputs.insert(0, _vi("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", vocab]))
    g = helper.make_graph(nodes, "decoder-genai", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14), helper.make_opsetid("com.microsoft", 1)],
                          producer_name="footprint-tests")
    m.ir_version = 8
    path = save_stripped(m, name)
    return path, {"note": "hand-built in onnxruntime-genai's layout; KV cache after P + T tokens at batch B: "
                          "2 x 2 x 1 x 16 x (P + T) x B x 4 bytes",
                  "trainable_params": vocab * hidden * 2 + layers * (hidden + hidden * (heads * head + 2 * kv_heads * head) + hidden * hidden)}


def build_decoder_optimum():
    """A small decoder in Hugging Face Optimum's layout (text-generation-with-past, plain ONNX
    operators): hidden 32, 2 heads of 16, vocabulary 50, two layers. Each layer's present KV is
    Concat(past, new) along the sequence axis, its dims written as Optimum writes them
    ("past_sequence_length + sequence_length"). The KV cache after P + T tokens at batch B is
    2 layers x 2 (key, value) x 2 heads x 16 x (P + T) x B x 4 bytes."""
    name = "decoder_optimum"
    hidden, heads, head, vocab, layers = 32, 2, 16, 50, 2
    inits = [numpy_helper.from_array(np.zeros((vocab, hidden), np.float32), "transformer.wte.weight"),
             numpy_helper.from_array(np.array([0, 0, heads, head], np.int64), "split_heads"),
             numpy_helper.from_array(np.array([0, 0, hidden], np.int64), "merge_heads"),
             numpy_helper.from_array(np.array(4.0, np.float32), "sqrt_head")]
    total = "past_sequence_length + sequence_length"
    inputs = [_vi("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              _vi("attention_mask", TensorProto.INT64, ["batch_size", total])]
    outputs = [_vi("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", vocab])]
    nodes = [helper.make_node("Gather", ["transformer.wte.weight", "input_ids"], ["h0"], name="/transformer/wte/Gather")]
    x = "h0"
    for i in range(layers):
        p = f"/transformer/h.{i}/attn"
        for proj in ("q", "k", "v", "o"):
            inits.append(numpy_helper.from_array(np.zeros((hidden, hidden), np.float32), f"transformer.h.{i}.attn.{proj}.weight"))
        for proj in ("q", "k", "v"):
            nodes += [helper.make_node("MatMul", [x, f"transformer.h.{i}.attn.{proj}.weight"], [f"{p}/{proj}"], name=f"{p}/{proj}/MatMul"),
                      helper.make_node("Reshape", [f"{p}/{proj}", "split_heads"], [f"{p}/{proj}_heads"], name=f"{p}/{proj}/Reshape"),
                      helper.make_node("Transpose", [f"{p}/{proj}_heads"], [f"{p}/{proj}_t"], name=f"{p}/{proj}/Transpose",
                                       perm=[0, 2, 1, 3])]
        for kv, proj in (("key", "k"), ("value", "v")):
            inputs.append(_vi(f"past_key_values.{i}.{kv}", TensorProto.FLOAT, ["batch_size", heads, "past_sequence_length", head]))
            outputs.append(_vi(f"present.{i}.{kv}", TensorProto.FLOAT, ["batch_size", heads, total, head]))
            nodes.append(helper.make_node("Concat", [f"past_key_values.{i}.{kv}", f"{p}/{proj}_t"], [f"present.{i}.{kv}"],
                                          name=f"{p}/{kv}/Concat", axis=2))
        nodes += [helper.make_node("Transpose", [f"present.{i}.key"], [f"{p}/k_T"], name=f"{p}/k/Transpose_1", perm=[0, 1, 3, 2]),
                  helper.make_node("MatMul", [f"{p}/q_t", f"{p}/k_T"], [f"{p}/scores"], name=f"{p}/MatMul"),
                  helper.make_node("Div", [f"{p}/scores", "sqrt_head"], [f"{p}/scaled"], name=f"{p}/Div"),
                  helper.make_node("Softmax", [f"{p}/scaled"], [f"{p}/probs"], name=f"{p}/Softmax", axis=-1),
                  helper.make_node("MatMul", [f"{p}/probs", f"present.{i}.value"], [f"{p}/context"], name=f"{p}/MatMul_1"),
                  helper.make_node("Transpose", [f"{p}/context"], [f"{p}/context_t"], name=f"{p}/Transpose", perm=[0, 2, 1, 3]),
                  helper.make_node("Reshape", [f"{p}/context_t", "merge_heads"], [f"{p}/merged"], name=f"{p}/Reshape"),
                  helper.make_node("MatMul", [f"{p}/merged", f"transformer.h.{i}.attn.o.weight"], [f"{p}/o"], name=f"{p}/o/MatMul"),
                  helper.make_node("Add", [x, f"{p}/o"], [f"/transformer/h.{i}/residual"], name=f"/transformer/h.{i}/Add")]
        x = f"/transformer/h.{i}/residual"
    inits.append(numpy_helper.from_array(np.zeros((hidden, vocab), np.float32), "lm_head.weight"))
    nodes.append(helper.make_node("MatMul", [x, "lm_head.weight"], ["logits"], name="/lm_head/MatMul"))
    g = helper.make_graph(nodes, "decoder-optimum", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)], producer_name="footprint-tests")
    m.ir_version = 8
    path = save_stripped(m, name)
    return path, {"note": "hand-built in Optimum's text-generation-with-past layout; KV cache after P + T tokens at "
                          "batch B: 2 x 2 x 2 x 16 x (P + T) x B x 4 bytes"}


def build_contrib_ops():
    """Every ONNX Runtime operator issue 18 reads, once, in a small encoder (hidden 32, 2 heads of
    16, vocabulary 50): EmbedLayerNormalization, GatherBlockQuantized, SkipLayerNormalization,
    Attention, MultiHeadAttention, RotaryEmbedding, SimplifiedLayerNormalization,
    SkipSimplifiedLayerNormalization, MatMulNBits, FastGelu, BiasGelu, QuickGelu and an opset-21
    int4 weight read by a blockwise DequantizeLinear. A fuzzing seed and a hand-counted test.
    GroupQueryAttention is in decoder_genai."""
    name = "contrib_ops"
    hidden, heads, vocab, positions = 32, 2, 50, 64
    inits = []

    def w(shape, nm, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.zeros(shape, dtype), nm))
        return nm

    int4 = onnx.TensorProto()
    int4.name, int4.data_type = "ffn.down.qweight", 22  # TensorProto.INT4 (onnx 1.16), packed two to a byte
    int4.dims.extend([64, hidden])
    int4.raw_data = bytes(64 * hidden // 2)
    inits.append(int4)
    ms = "com.microsoft"
    nodes = [
        helper.make_node("EmbedLayerNormalization", ["input_ids", "", w((vocab, hidden), "embeddings.word"),
                                                     w((positions, hidden), "embeddings.position"), "",
                                                     w((hidden,), "embeddings.gamma"), w((hidden,), "embeddings.beta")],
                         ["emb", "mask_index"], name="embeddings/EmbedLayerNorm", domain=ms, epsilon=1e-12),
        helper.make_node("GatherBlockQuantized", [w((vocab, hidden // 2), "qembed.weight", np.uint8), "input_ids",
                                                  w((vocab, 1), "qembed.scales"), w((vocab, 1), "qembed.zero_points", np.uint8)],
                         ["qemb"], name="qembed/GatherBlockQuantized", domain=ms, bits=4, block_size=32,
                         gather_axis=0, quantize_axis=1),
        helper.make_node("Add", ["emb", "qemb"], ["x0"], name="embeddings/Add"),
        helper.make_node("SkipLayerNormalization", ["x0", "qemb", w((hidden,), "ln1.gamma"), w((hidden,), "ln1.beta"),
                                                    w((hidden,), "ln1.bias")],
                         ["x1"], name="ln1/SkipLayerNorm", domain=ms, epsilon=1e-12),
        helper.make_node("Attention", ["x1", w((hidden, 3 * hidden), "attn.qkv.weight"), w((3 * hidden,), "attn.qkv.bias")],
                         ["a"], name="attn/Attention", domain=ms, num_heads=heads),
        helper.make_node("MultiHeadAttention", ["a", "x1", "x1"], ["m"], name="cross/MultiHeadAttention", domain=ms,
                         num_heads=heads),
        helper.make_node("RotaryEmbedding", ["m", "position_ids", w((positions, 8), "rotary.cos_cache"),
                                             w((positions, 8), "rotary.sin_cache")],
                         ["r"], name="rotary/RotaryEmbedding", domain=ms, num_heads=heads),
        helper.make_node("SimplifiedLayerNormalization", ["r", w((hidden,), "ln2.weight")], ["n2"],
                         name="ln2/SimplifiedLayerNorm", axis=-1, epsilon=1e-6),
        helper.make_node("SkipSimplifiedLayerNormalization", ["n2", "r", w((hidden,), "ln3.weight")], ["n3"],
                         name="ln3/SkipSimplifiedLayerNorm", domain=ms, epsilon=1e-6),
        helper.make_node("MatMulNBits", ["n3", w((64, 1, 16), "ffn.up.qweight", np.uint8), w((64,), "ffn.up.scales")],
                         ["f"], name="ffn/up/MatMulNBits", domain=ms, K=hidden, N=64, bits=4, block_size=32),
        helper.make_node("FastGelu", ["f", w((64,), "ffn.fast_gelu.bias")], ["g1"], name="ffn/FastGelu", domain=ms),
        helper.make_node("BiasGelu", ["g1", w((64,), "ffn.bias_gelu.bias")], ["g2"], name="ffn/BiasGelu", domain=ms),
        helper.make_node("QuickGelu", ["g2"], ["g3"], name="ffn/QuickGelu", domain=ms, alpha=1.702),
        helper.make_node("DequantizeLinear", ["ffn.down.qweight", w((2, hidden), "ffn.down.scales")], ["ffn.down.weight"],
                         name="ffn/down/DequantizeLinear", axis=0, block_size=32),
        helper.make_node("MatMul", ["g3", "ffn.down.weight"], ["y"], name="ffn/down/MatMul"),
    ]
    inputs = [_vi("input_ids", TensorProto.INT32, ["batch_size", "sequence_length"]),
              _vi("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"])]
    outputs = [_vi("y", TensorProto.FLOAT, ["batch_size", "sequence_length", hidden])]
    g = helper.make_graph(nodes, "contrib-ops", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid(ms, 1)],
                          producer_name="footprint-tests")
    m.ir_version = 10
    path = save_stripped(m, name)
    return path, {"note": "hand-built: every com.microsoft operator of issue 18 but GroupQueryAttention, and an int4 "
                          "weight read by a blockwise DequantizeLinear"}


def build_llama7b_genai(int4=False):
    """LLaMA-7B's shapes, weight-free (issue 18 checks llm-analysis's published example against
    it): 6,738,415,616 parameters; at batch 1 after 512 + 32 tokens the fp16 KV cache is
    2 x 32 x 4096 x 544 x 2 bytes = 285,212,672 B. int4: the seven projections of each layer as
    genai's int4 builder writes them, MatMulNBits with 4-bit weights in blocks of 32 and fp16
    scales (the embedding, norms and lm_head stay fp16)."""
    name = "llama7b_int4_genai" if int4 else "llama7b_genai"
    hidden, heads, ffn, vocab, layers = 4096, 32, 11008, 32000, 32
    f16 = TensorProto.FLOAT16

    def weight(wname, dims, dtype=f16):
        t = TensorProto()
        t.name = wname
        t.data_type = dtype
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        e = t.external_data.add()
        e.key, e.value = "location", name + ".weights"
        return t

    def project(inputs_, wname, k, n, out, node_name):
        if not int4:
            inits.append(weight(wname, [k, n]))
            return helper.make_node("MatMul", [inputs_, wname], [out], name=node_name)
        inits.append(weight(wname + ".qweight", [n, k // 32, 16], TensorProto.UINT8))
        inits.append(weight(wname + ".scales", [n * (k // 32)]))
        return helper.make_node("MatMulNBits", [inputs_, wname + ".qweight", wname + ".scales"], [out],
                                name=node_name.replace("/MatMul", "/MatMul_Q4"), domain="com.microsoft",
                                K=k, N=n, bits=4, block_size=32)

    inits = [weight("model.embed_tokens.weight", [vocab, hidden]),
             numpy_helper.from_array(np.array([1], np.int64), "one"),
             numpy_helper.from_array(np.array([1], np.int64), "axis1")]
    nodes = [
        helper.make_node("Gather", ["model.embed_tokens.weight", "input_ids"], ["h0"], name="/model/embed_tokens/Gather"),
    ] + _genai_mask_reformat()
    inputs = [_vi("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              _vi("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"])]
    outputs = []
    x = "h0"
    for i in range(layers):
        p, w = f"/model/layers.{i}", f"model.layers.{i}"
        inits += [weight(f"{w}.input_layernorm.weight", [hidden]), weight(f"{w}.post_attention_layernorm.weight", [hidden])]
        nodes.append(helper.make_node("SimplifiedLayerNormalization", [x, f"{w}.input_layernorm.weight"], [f"{p}/norm1"],
                                      name=f"{p}/input_layernorm/LayerNorm", axis=-1, epsilon=1e-6))
        for proj in "qkv":
            nodes.append(project(f"{p}/norm1", f"{w}.attn.{proj}_proj.weight", hidden, hidden, f"{p}/{proj}",
                                 f"{p}/attn/{proj}_proj/MatMul"))
        for kv in ("key", "value"):
            inputs.append(_vi(f"past_key_values.{i}.{kv}", f16, ["batch_size", heads, "past_sequence_length", hidden // heads]))
            outputs.append(_vi(f"present.{i}.{kv}", f16, ["batch_size", heads, "total_sequence_length", hidden // heads]))
        nodes.append(helper.make_node("GroupQueryAttention",
                                      [f"{p}/q", f"{p}/k", f"{p}/v", f"past_key_values.{i}.key", f"past_key_values.{i}.value",
                                       "seqlens_k", "total_seq_len"],
                                      [f"{p}/attn_out", f"present.{i}.key", f"present.{i}.value"],
                                      name=f"{p}/attn/GroupQueryAttention", domain="com.microsoft",
                                      num_heads=heads, kv_num_heads=heads))
        nodes += [project(f"{p}/attn_out", f"{w}.attn.o_proj.weight", hidden, hidden, f"{p}/o", f"{p}/attn/o_proj/MatMul"),
                  helper.make_node("SkipSimplifiedLayerNormalization", [f"{p}/o", x, f"{w}.post_attention_layernorm.weight"],
                                   [f"{p}/norm2", "", "", f"{p}/residual1"], name=f"{p}/post_attention_layernorm/SkipLayerNorm",
                                   domain="com.microsoft", epsilon=1e-6)]
        nodes += [project(f"{p}/norm2", f"{w}.mlp.gate_proj.weight", hidden, ffn, f"{p}/gate", f"{p}/mlp/gate_proj/MatMul"),
                  project(f"{p}/norm2", f"{w}.mlp.up_proj.weight", hidden, ffn, f"{p}/up", f"{p}/mlp/up_proj/MatMul"),
                  helper.make_node("Sigmoid", [f"{p}/gate"], [f"{p}/gate_sig"], name=f"{p}/mlp/act_fn/Sigmoid"),
                  helper.make_node("Mul", [f"{p}/gate", f"{p}/gate_sig"], [f"{p}/silu"], name=f"{p}/mlp/act_fn/Mul"),
                  helper.make_node("Mul", [f"{p}/silu", f"{p}/up"], [f"{p}/gated"], name=f"{p}/mlp/Mul"),
                  project(f"{p}/gated", f"{w}.mlp.down_proj.weight", ffn, hidden, f"{p}/down", f"{p}/mlp/down_proj/MatMul"),
                  helper.make_node("Add", [f"{p}/residual1", f"{p}/down"], [f"{p}/out"], name=f"{p}/residual/Add")]
        x = f"{p}/out"
    inits += [weight("model.norm.weight", [hidden]), weight("lm_head.weight", [hidden, vocab])]
    nodes += [helper.make_node("SimplifiedLayerNormalization", [x, "model.norm.weight"], ["final"], name="/model/norm/LayerNorm",
                               axis=-1, epsilon=1e-6),
              helper.make_node("MatMul", ["final", "lm_head.weight"], ["logits"], name="/lm_head/MatMul")]
    outputs.insert(0, _vi("logits", f16, ["batch_size", "sequence_length", vocab]))
    g = helper.make_graph(nodes, "llama7b-genai", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14), helper.make_opsetid("com.microsoft", 1)],
                          producer_name="footprint-tests")
    m.ir_version = 8
    path = os.path.join(HERE, name + ".onnx")
    onnx.save_model(m, path)  # its external data was never written
    return path, {"note": "weight-free LLaMA-7B shapes in genai's layout; llm-analysis's example: 6,738,415,616 "
                          "parameters, KV cache 285.2 MB at batch 1 with 512 + 32 tokens (fp16)",
                  "trainable_params": 6738415616}


TINY_MLP_W = [[0.1, -0.2, 0.3, -0.4], [0.5, 0.6, -0.7, 0.8], [-0.9, 1.0, 1.1, -1.2]]
TINY_MLP_B = [0.1, -0.1, 0.2]
TINY_MLP_W2 = [[1.0, 0.0, -1.0, 0.5, 2.0], [0.0, 1.0, 1.0, -0.5, 1.0], [1.0, -1.0, 0.0, 0.25, -2.0]]
TINY_MLP_X = [[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, -0.5, 2.0]]


def build_tiny_mlp():
    W = numpy_helper.from_array(np.array(TINY_MLP_W, np.float32), "W")
    b = numpy_helper.from_array(np.array(TINY_MLP_B, np.float32), "b")
    W2 = numpy_helper.from_array(np.array(TINY_MLP_W2, np.float32), "W2")
    nodes = [
        helper.make_node("Gemm", ["X", "W", "b"], ["H"], name="gemm", transB=1),
        helper.make_node("Relu", ["H"], ["R"], name="relu"),
        helper.make_node("MatMul", ["R", "W2"], ["Y"], name="matmul"),
    ]
    g = helper.make_graph(nodes, "tiny_mlp", [_vi("X", TensorProto.FLOAT, [2, 4])],
                          [_vi("Y", TensorProto.FLOAT, [2, 5])], initializer=[W, b, W2],
                          value_info=[_vi("H", TensorProto.FLOAT, [2, 3]), _vi("R", TensorProto.FLOAT, [2, 3])])
    path = save_inline(_model(g, 13), "tiny_mlp")
    model = TinyMlp(TINY_MLP_W, TINY_MLP_B, TINY_MLP_W2)
    x = torch.tensor(TINY_MLP_X)
    ref = measure(model, (x,))
    with torch.no_grad():
        y = model(x)
    x_np = np.array(TINY_MLP_X, np.float32)  # same maths as the ONNX graph, in numpy
    y_np = np.maximum(x_np @ np.array(TINY_MLP_W, np.float32).T + np.array(TINY_MLP_B, np.float32), 0) \
        @ np.array(TINY_MLP_W2, np.float32)
    assert np.allclose(y_np, y.numpy(), atol=1e-6)
    ref["example"] = {"X": TINY_MLP_X, "Y": [[round(v, 6) for v in row] for row in y.tolist()]}
    ref["note"] = "measured on an equivalent torch module holding the same weights (Linear + ReLU + matmul)"
    return path, ref


def build_tiny_conv():
    rng = np.random.default_rng(14)
    Wc = (rng.standard_normal((4, 3, 3, 3)) * 0.2).astype(np.float32)
    Bc = (rng.standard_normal((4,)) * 0.1).astype(np.float32)
    Wf = (rng.standard_normal((10, 64)) * 0.1).astype(np.float32)
    Bf = (rng.standard_normal((10,)) * 0.1).astype(np.float32)
    inits = [numpy_helper.from_array(Wc, "W"), numpy_helper.from_array(Bc, "B"),
             numpy_helper.from_array(Wf, "Wfc"), numpy_helper.from_array(Bf, "Bfc")]
    nodes = [
        helper.make_node("Conv", ["X", "W", "B"], ["C"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[1, 1]),
        helper.make_node("Relu", ["C"], ["R"], name="relu"),
        helper.make_node("MaxPool", ["R"], ["P"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["P"], ["F"], name="flatten", axis=1),
        helper.make_node("Gemm", ["F", "Wfc", "Bfc"], ["Y"], name="fc", transB=1),
    ]
    g = helper.make_graph(nodes, "tiny_conv", [_vi("X", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [_vi("Y", TensorProto.FLOAT, [1, 10])], initializer=inits,
                          value_info=[_vi("C", TensorProto.FLOAT, [1, 4, 8, 8]), _vi("R", TensorProto.FLOAT, [1, 4, 8, 8]),
                                      _vi("P", TensorProto.FLOAT, [1, 4, 4, 4]), _vi("F", TensorProto.FLOAT, [1, 64])])
    path = save_inline(_model(g, 13), "tiny_conv")
    model = TinyConv(Wc, Bc, Wf, Bf)
    ref = measure(model, (torch.zeros(1, 3, 8, 8),))
    ref["note"] = "measured on an equivalent torch module holding the same weights"
    return path, ref


BUILDERS = {
    "resnet50_train": vision("resnet50_train", torchvision.models.resnet50, True, False),
    "resnet50": vision("resnet50", torchvision.models.resnet50, False, True),
    "mobilenet_v2_train": vision("mobilenet_v2_train", torchvision.models.mobilenet_v2, True, False),
    "vgg16": vision("vgg16", torchvision.models.vgg16, False, False),
    "resnet18_train": vision("resnet18_train", torchvision.models.resnet18, True, True),
    "davenet_audio": build_davenet,
    "gpt2_12l": gpt2("gpt2_12l", 12),
    "gpt2_2l": gpt2("gpt2_2l", 2),
    "gpt2_48l": gpt2("gpt2_48l", 48),  # the large-graph case of the graph view (12,100 nodes)
    "bert_2l": build_bert,
    "lstm_gru": build_lstm_gru,
    "if_loop": build_if_loop,
    "tf_style_nhwc": build_tf_style,
    "paddle_style_constants": build_paddle_style,
    "audio_stft": build_audio_stft,
    "decoder_genai": build_decoder_genai,
    "llama7b_genai": build_llama7b_genai,
    "llama7b_int4_genai": lambda: build_llama7b_genai(int4=True),
    "contrib_ops": build_contrib_ops,
    "decoder_optimum": build_decoder_optimum,
    "tiny_mlp": build_tiny_mlp,
    "tiny_conv": build_tiny_conv,
}


def main(argv):
    names = argv or list(BUILDERS)
    for n in names:
        if n not in BUILDERS:
            sys.exit(f"unknown model {n}; choose from {', '.join(BUILDERS)}")
    ref = {}
    if os.path.exists(REF_PATH):
        with open(REF_PATH) as f:
            ref = json.load(f)
    ref["_meta"] = {
        "generated_by": "tests/models/make_models.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "onnx": onnx.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "definitions": "see the docstring at the top of make_models.py",
        "measurement": "batch 1, model.eval(), torch.no_grad(); vision 224x224, text seq 128, lstm_gru [10,1,32], "
                       "davenet [1,1,40,1024]",
    }
    for n in names:
        print(f"== {n}", flush=True)
        path, entry = BUILDERS[n]()
        entry["onnx_file"] = readback(path)
        entry["onnx_file"]["check"] = check(path)
        ref[os.path.basename(path)] = entry
        of = entry["onnx_file"]
        print(f"   {os.path.basename(path)}: {of['size_bytes']} bytes, {of['nodes']} nodes "
              f"({of['nodes_including_subgraphs']} incl. subgraphs), {of['initializers']} initializers "
              f"({of['initializers_external']} external), check={of['check']}", flush=True)
        if "macs" in entry:
            print(f"   params={entry['trainable_params']} buffers={entry['buffers']} macs={entry['macs']} "
                  f"leaf_out={entry['leaf_output_elements']} out={entry['output_shapes']}", flush=True)
        ordered = {"_meta": ref["_meta"]}
        ordered.update({k: ref[k] for k in sorted(ref) if k != "_meta"})
        with open(REF_PATH, "w") as f:
            json.dump(ordered, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
