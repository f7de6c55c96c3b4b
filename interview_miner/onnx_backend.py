"""Sentence embeddings on ONNX Runtime: the same weights as the torch backend, exported once.

Why: mining spends most of its time in sentence embeddings, and eager PyTorch BERT on a 2-core
laptop is slow. ONNX Runtime (already installed: faster-whisper runs its VAD on it) gives
PyTorch's vectors for about half the CPU in fp32, and ~0.75x that again with the int8 graph
(vectors within cosine 0.99 of PyTorch's; tests/test_embed_backends.py; speed and category/theme
scores in docs/performance.md). Offline transformer fusion (onnxruntime.transformers.optimizer:
fused Attention, SkipLayerNorm, BiasGelu) was measured and gave no CPU gain over ONNX Runtime's own
ORT_ENABLE_ALL optimisation of the plain graph, so the export stays the plain graph.
sentence-transformers' own ONNX backend needs Optimum, whose releases pin transformers < 5, so the
export is done here with `torch.onnx` instead.

The export (a few seconds, once per model and weights) is cached as a folder holding model.onnx,
the model's tokenizer.json and meta.json, written to a temporary folder and renamed into place so
an interrupted export never leaves a half-written model. At run time only onnxruntime and
tokenizers are imported, never torch.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

class UnsupportedModel(Exception):
    """The model cannot run on this backend (the caller falls back to torch)."""


FORMAT_VERSION = 2  # bump when the export changes, so old cached exports are rebuilt
OPSET = 17
# How the int8 graph is made; part of its cache folder and (through embed.cache_name) of the name
# its vectors are stored under, so vectors of an older recipe are never read as this one's.
# "mm-keepdown": dynamic int8 on the weight MatMuls only, per-channel scales, the feed-forward
# down-projections kept fp32 (their input, the GELU output, has the outlier channels that
# per-tensor activation quantisation handles worst: measured cosine vs torch mean 0.996 / min 0.99
# instead of 0.992 / 0.98 with every MatMul and Gather quantised; docs/performance.md).
INT8_RECIPE = "mm-keepdown"


@dataclass
class OnnxEmbedder:
    """Same contract as embed.Embedder: `encode(texts) -> (n, dim)` float32 unit vectors."""

    name: str
    session: object  # onnxruntime.InferenceSession
    tokenizer: object  # tokenizers.Tokenizer, truncating at the model's max_seq_length, no padding
    dim: int
    pad_id: int = 0

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Texts are tokenized once (the fast tokenizer, in batch), ordered by token count and cut
        into batches, each padded only to its own longest text: ordering by characters, as the
        caller does, still left ~19% of the tokens run as padding on mining-sized input; by token
        count it is ~0.2% (docs/performance.md). Rows come back in the order of `texts`."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        names = {i.name for i in self.session.get_inputs()}
        # Real tokens only (a tokenizer handed in with padding on pads on the right; drop it).
        tokens = [e.ids[: sum(e.attention_mask)] for e in self.tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(tokens[i]) for i in rows)
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, : len(tokens[i])] = tokens[i]
                mask[r, : len(tokens[i])] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in names:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            # Mean pooling over real tokens, then unit length: what the sentence-transformers
            # Pooling(mean) + Normalize modules do.
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[rows] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out


def cache_root() -> Path:
    return Path(os.environ.get("INTERVIEW_MINER_CACHE", Path.home() / ".cache" / "interview-miner")) / "onnx"


@functools.cache
def openvino_precision() -> str:
    """The precision the `openvino` backend computes in on this CPU: "bf16" where the CPU does
    bf16 arithmetic natively (Intel AMX / AVX-512 BF16: OpenVINO's own default there), else "f32".

    It is part of the name the vectors are stored under (embed.cache_name), so a study moved
    between machines never mixes bf16 and f32 vectors. ImportError when OpenVINO is missing."""
    import openvino as ov

    return "bf16" if "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"


class OpenVinoSession:
    """An OpenVINO compiled model behind the two calls OnnxEmbedder makes of an ONNX Runtime
    session (`get_inputs()`, `run(None, feed)`), so both runtimes share one tokenizer, batching
    and pooling path, and one exported graph."""

    @dataclass
    class _Input:
        name: str

    def __init__(self, model_path: Path, precision: str):
        import openvino as ov

        # One inference stream (latency hint) on all cores: embedding is one job at a time.
        self.compiled = ov.Core().compile_model(
            str(model_path), "CPU", {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"})
        self.precision = self.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        self._names = [port.get_any_name() for port in self.compiled.inputs]
        self._request = self.compiled.create_infer_request()
        self._lock = threading.Lock()  # an infer request serves one call at a time

    def get_inputs(self) -> list[_Input]:
        return [self._Input(name) for name in self._names]

    def run(self, _outputs: None, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        with self._lock:
            result = self._request.infer({k: v for k, v in feed.items() if k in self._names})
            return [np.array(result[self.compiled.outputs[0]])]  # a copy: the request reuses its buffer


def load(identity: str, target: str, quantize: bool, load_torch: Callable[[str], object],
         runtime: str = "onnxruntime") -> OnnxEmbedder:
    """The ONNX embedder for `target` (exporting it first when not cached), run on ONNX Runtime
    or, with `runtime="openvino"`, on OpenVINO in `openvino_precision()`. `load_torch(target)`
    returns the SentenceTransformer the export starts from."""
    from tokenizers import Tokenizer

    folder = cache_root() / _folder_name(identity, target, quantize)
    if not (folder / "meta.json").exists():
        _export(load_torch(target), folder, quantize)
    meta = json.loads((folder / "meta.json").read_text())
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(meta["max_seq_length"])
    tokenizer.no_padding()  # encode pads each batch itself, to that batch's longest text
    if runtime == "openvino":
        session = OpenVinoSession(folder / "model.onnx", openvino_precision())
        return OnnxEmbedder(identity, session, tokenizer, int(meta["dim"]), int(meta["pad_id"]))
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Worker threads sleep instead of spin-waiting between operators: on a laptop busy with
    # Whisper or other work, spinning burns CPU for nothing (measured: same vectors, 7-34% less
    # CPU per encode on a shared 2-core machine; docs/performance.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
    return OnnxEmbedder(identity, session, tokenizer, int(meta["dim"]), int(meta["pad_id"]))


def _folder_name(identity: str, target: str, quantize: bool) -> str:
    """Cache folder per (model, its weights' size and time, int8 or not, export format)."""
    stamp = ""
    local = Path(target)
    if local.is_dir():
        stamp = ";".join(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}"
                         for p in sorted(local.iterdir()) if p.suffix in (".safetensors", ".bin"))
    recipe = f"|{INT8_RECIPE}" if quantize else ""
    digest = hashlib.sha256(f"{identity}|{target}|{stamp}|{quantize}|{FORMAT_VERSION}{recipe}".encode()).hexdigest()[:12]
    base = identity.split("@")[0]
    return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', base)[-60:]}-{'int8' if quantize else 'fp32'}-{digest}"


def _quantize(fp32: Path, out: Path) -> None:
    """INT8_RECIPE: dynamic int8 (weights per output channel, activations per tensor at run time)
    on the MatMuls with a constant weight, except the down-projections (weight rows > columns:
    the feed-forward output layer, fed by the GELU); everything else stays fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32)).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    keep_fp32 = [node.name for node in graph.node if node.op_type == "MatMul"
                 and len(shapes.get(node.input[1], ())) == 2 and shapes[node.input[1]][0] > shapes[node.input[1]][1]]
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"], nodes_to_exclude=keep_fp32)


def _export(st_model, folder: Path, quantize: bool) -> None:
    """Export the transformer of a mean-pooling sentence-transformers model to ONNX (and int8)."""
    import torch

    modules = list(st_model)
    pooling = getattr(modules[1], "pooling_mode", None) if len(modules) > 1 else None
    if type(modules[0]).__name__ != "Transformer" or pooling != "mean":
        raise UnsupportedModel(
            f"the ONNX embedding backends support transformer models with mean pooling; this one has "
            f"{[type(m).__name__ for m in modules]} (pooling {pooling})")
    transformer = modules[0]
    tokenizer = transformer.tokenizer
    auto_model = transformer.auto_model.eval()

    class Encoder(torch.nn.Module):  # a plain (ids, mask, types) -> last_hidden_state graph
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        sample = tokenizer(["An example sentence to trace.", "Short one."], padding=True, return_tensors="pt")
        types = sample.get("token_type_ids", torch.zeros_like(sample["input_ids"]))
        dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                   "token_type_ids": {0: "batch", 1: "tokens"}, "last_hidden_state": {0: "batch", 1: "tokens"}}
        fp32 = tmp / ("model.fp32.onnx" if quantize else "model.onnx")
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shapes: the axes are declared dynamic
            torch.onnx.export(
                Encoder(auto_model), (sample["input_ids"], sample["attention_mask"], types), str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                dynamic_axes=dynamic, opset_version=OPSET, dynamo=False,
            )
        if quantize:
            _quantize(fp32, tmp / "model.onnx")
            fp32.unlink()
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        get_dim = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
        meta = {"dim": int(get_dim()), "max_seq_length": int(st_model.max_seq_length),
                "pad_id": int(tokenizer.pad_token_id or 0), "pad_token": tokenizer.pad_token or "[PAD]",
                "quantized": quantize, "format": FORMAT_VERSION}
        (tmp / "meta.json").write_text(json.dumps(meta))
        if (folder / "meta.json").exists():
            return  # another process (the worker, a second CLI) finished the same export first
        if folder.exists():
            shutil.rmtree(folder)  # never complete (only finished exports are renamed into place)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / "meta.json").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
