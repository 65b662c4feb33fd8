# The assistant on a CPU: the packaged model and its ONNX export baked in, a non-root user,
# a health check. Build: docker build -t assistant .   Run: docker run -p 8000:8000 assistant
# Beside a Chroma server: compose.yaml.
FROM python:3.11-slim

# tesseract-ocr reads scanned PDF pages; curl is the health check's client.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 assistant \
    && mkdir -p /data /models \
    && chown assistant:assistant /data /models

WORKDIR /app
COPY pyproject.toml README.md ./
COPY assistant ./assistant
# The CPU build of torch first, pinned: a plain `torch` would pull a multi-GB CUDA build.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir .
COPY corpus ./corpus

ENV ASSISTANT_DATA_DIR=/data \
    ASSISTANT_MODEL_CACHE_DIR=/models \
    ASSISTANT_CORPUS_DIR=/app/corpus \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
USER assistant
# Export the embedding model to ONNX now, so no container pays for it at start-up.
RUN python -c "from assistant.index.embeddings import Embedder; Embedder().warm()"

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["sh", "-c", "assistant ingest && exec assistant serve --host 0.0.0.0 --port 8000"]
