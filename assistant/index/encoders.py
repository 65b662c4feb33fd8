"""The two ways the packaged MiniLM turns token ids into vectors: ONNX Runtime or PyTorch.

Both read the same tokenizer and give the same vectors (mean pooling over the attention mask,
then L2 normalisation, as the model's sentence-transformers config says); the ONNX graph has
the pooling and normalisation built in. ONNX Runtime on a CPU embeds a query about three times
faster than PyTorch. The graph is exported from the packaged weights by ``torch.onnx`` once
per data dir, then fused by ONNX Runtime's transformer optimiser (a few seconds, no network),
and reused; a GPU is used when one is present.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import ConfigError

MAX_SEQ_TOKENS = 256
DIMENSIONS, HEADS, LAYERS = 384, 12, 6  # all-MiniLM-L6-v2
GRAPH_VERSION = "fused1"  # bump when the export or its optimisation changes
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
log = logging.getLogger(__name__)


class Encoder(Protocol):
    """Texts in, one L2-normalised float32 vector per text out; ``tokenizer`` counts tokens."""

    name: str
    tokenizer: Any

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def cuda_wanted(device: str, available: bool) -> bool:
    """Whether to run on a GPU: ``auto`` uses one when present; ``cuda`` insists on one."""
    if device == "cuda" and not available:
        raise ConfigError(
            "ASSISTANT_DEVICE=cuda but no CUDA device is usable here; unset it (auto) or use cpu"
        )
    return device == "cuda" or (device == "auto" and available)


class OnnxEncoder:
    """The exported graph under ONNX Runtime (CUDA provider when asked for and present).

    Texts are tokenised by a private copy of the fast tokenizer, set once to truncate at
    ``MAX_SEQ_TOKENS`` and pad to the batch's longest text: the same ids the transformers
    wrapper gives, without its per-call argument handling (a tenth of the cost for a query).
    """

    def __init__(self, model_dir: str, export_dir: Path, device: str) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        path = exported_graph(model_dir, export_dir)
        gpu = cuda_wanted(device, "CUDAExecutionProvider" in ort.get_available_providers())
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = os.cpu_count() or 1
        # Idle pool threads sleep instead of spinning: spinning kept a core busy after each
        # query, taking it from the rest of the request (and from the other threads).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if gpu else None
        self._session = ort.InferenceSession(
            str(path), options, providers=providers or ["CPUExecutionProvider"]
        )
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self._ids = batch_tokenizer(self.tokenizer)
        self.name = "onnx-cuda" if gpu else "onnx-cpu"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out: np.ndarray = self._session.run(None, token_feed(self._ids, texts))[0]
        return out.astype(np.float32, copy=False)


def batch_tokenizer(tokenizer: Any) -> Any:
    """A copy of ``tokenizer``'s fast backend that truncates at ``MAX_SEQ_TOKENS`` and pads
    to the longest text of a batch (the packaged tokenizer.json pads every text to 128)."""
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.enable_truncation(max_length=MAX_SEQ_TOKENS)
    backend.enable_padding(pad_id=tokenizer.pad_token_id, pad_token=tokenizer.pad_token)
    return backend


def token_feed(backend: Any, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """The graph's inputs for ``texts``: ids, attention mask and token types, int64."""
    encodings = backend.encode_batch(list(texts)) if len(texts) != 1 else [backend.encode(texts[0])]
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


class TorchEncoder:
    """sentence-transformers over PyTorch (fp16 on a GPU): the reference the ONNX graph is
    tested against, and the fallback."""

    def __init__(self, model_dir: str, device: str) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        gpu = cuda_wanted(device, torch.cuda.is_available())
        _quiet()
        model = SentenceTransformer(model_dir, device="cuda" if gpu else "cpu")
        self._model = model.half() if gpu else model
        self.tokenizer = model.tokenizer
        self.name = "torch-cuda-fp16" if gpu else "torch-cpu"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out: np.ndarray = self._model.encode(
            list(texts),
            batch_size=max(1, len(texts)),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return out.astype(np.float32, copy=False)


def pooled(model: Any) -> Any:
    """``model`` wrapped to return mean-pooled, L2-normalised sentence vectors."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return Pooled(model)


def exported_graph(model_dir: str, export_dir: Path) -> Path:
    """The fused ONNX graph of the weights in ``model_dir``, made in ``export_dir`` on first
    use and named by the weights' hash, so new weights never meet an old graph. Concurrent
    first uses each export to a private file and rename; the last rename wins, harmlessly."""
    weights = Path(model_dir) / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    path = export_dir / f"minilm-{digest}-{GRAPH_VERSION}.onnx"
    if path.is_file():
        return path
    export_dir.mkdir(parents=True, exist_ok=True)
    partial = export_dir / f".{path.name}.{os.getpid()}.partial"
    plain = export_dir / f".{path.name}.{os.getpid()}.plain"
    log.info("exporting the embedding model to ONNX (once): %s", path)
    try:
        _export(model_dir, plain)
        _fuse(plain, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
        plain.unlink(missing_ok=True)
    return path


def _export(model_dir: str, target: Path) -> None:
    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = _weights(model_dir)
    sample = tokenizer(["a sample", "a longer sample sentence"], padding=True, return_tensors="pt")
    with warnings.catch_warnings():  # the exporter's notes on ops it rewrites are not ours
        warnings.simplefilter("ignore")
        _run_export(torch, model, sample, target)


def _run_export(torch: Any, model: Any, sample: Any, target: Path) -> None:
    axes = {k: {0: "batch", 1: "tokens"} for k in INPUTS}
    torch.onnx.export(
        pooled(model),
        tuple(sample[k] for k in INPUTS),
        str(target),
        input_names=list(INPUTS),
        output_names=["embedding"],
        dynamic_axes={**axes, "embedding": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


def _fuse(plain: Path, target: Path) -> None:
    """ONNX Runtime's BERT fusions over the exported graph: each layer's attention becomes one
    ``Attention`` node, the embeddings one ``EmbedLayerNormalization``, residual adds and layer
    norms ``SkipLayerNormalization``, about 700 nodes become 60; still fp32 (vectors agree
    with the plain graph's to a cosine of 0.999999), and 20% less time for a query."""
    from onnxruntime.transformers.optimizer import optimize_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fused = optimize_model(
            str(plain), model_type="bert", num_heads=HEADS, hidden_size=DIMENSIONS
        )
    found = fused.get_fused_operator_statistics()
    if found.get("Attention", 0) != LAYERS:
        log.warning("ONNX Runtime fused %s of %s attention layers", found.get("Attention"), LAYERS)
    fused.save_model_to_file(str(target))


def _weights(model_dir: str) -> Any:
    """The packaged transformer in eval mode, its attention written out op by op ("eager"):
    the form ONNX Runtime's fusions recognise (PyTorch's fused SDPA exports as a masked
    pattern they do not), with the same arithmetic."""
    from transformers import AutoModel

    _quiet()
    return AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()


def _quiet() -> None:
    """No "Loading weights" progress bars: they would litter the CLI."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def length_order(texts: Sequence[str]) -> list[int]:
    """Indexes of ``texts`` from shortest to longest, so a batch pads to similar lengths."""
    return sorted(range(len(texts)), key=lambda i: len(texts[i]))
