"""Memory per chunk of each part a replica holds (docs/deploy.md, "Scaling on paper").

    python benchmarks/memory.py DATA_DIR

For the serving generation of DATA_DIR, each part is loaded in a fresh process and its resident
memory measured (RSS after loading minus RSS before, /proc/self/status): the BM25 postings
(``load_bm25``), what the catalog puts in memory (chunks, documents with their text, sentence
offsets: what ``load_index`` keeps), and the HNSW index of the chunk vectors (an embedded Chroma
collection, queried once so its index is in memory). The files on disk are listed too. Nothing
in DATA_DIR is written: the Chroma directory is copied to a temporary one first, and the
catalog is opened read-only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PARTS = ("bm25", "catalog", "hnsw")


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(part: str, generation: Path, generation_name: str) -> dict[str, float]:
    """Load one part in this process; its RSS delta in bytes and the chunk count."""
    import gc

    import numpy as np

    from assistant.index.bm25 import load_bm25
    from assistant.index.catalog import Catalog
    from assistant.index.dense import DenseStore
    from assistant.index.loaded import collection_name

    catalog = Catalog(generation / "catalog.sqlite", readonly=True)
    chunks = len(catalog.chunks())
    del catalog
    gc.collect()
    before = rss_bytes()
    held: object
    if part == "bm25":
        held = load_bm25(generation)
    elif part == "catalog":
        catalog = Catalog(generation / "catalog.sqlite", readonly=True)
        held = (catalog.chunks(), {d.doc_id: d for d in catalog.documents()},
                catalog.sentence_bases())
    else:
        store = DenseStore(None, generation / "chroma", collection_name("assistant",
                                                                       generation_name))
        store.query(np.ones(384, dtype=np.float32) / np.sqrt(384), 50)
        held = store
    gc.collect()
    delta = rss_bytes() - before
    assert held is not None
    return {"bytes": float(delta), "chunks": float(chunks)}


def main(data_dir: Path) -> None:
    name = (data_dir / "CURRENT").read_text().strip()
    source = data_dir / "generations" / name
    with tempfile.TemporaryDirectory(prefix="assistant-memory-") as tmp:
        copy = Path(tmp) / name
        copy.mkdir()
        for item in ("catalog.sqlite", "bm25.npz", "bm25.json"):
            (copy / item).symlink_to(source / item)  # read-only use
        shutil.copytree(source / "chroma", copy / "chroma")
        results = {}
        for part in PARTS:
            out = subprocess.run([sys.executable, __file__, "--part", part, str(copy), name],
                                 check=True, capture_output=True, text=True).stdout
            results[part] = json.loads(out.strip().splitlines()[-1])
    chunks = results["bm25"]["chunks"]
    print(f"generation {name}: {chunks:,.0f} chunks")
    for part, found in results.items():
        per = found["bytes"] / chunks
        print(f"  {part:8s} {found['bytes'] / 2**20:8.1f} MiB resident   {per:8.0f} B/chunk")
    for item in ("bm25.npz", "bm25.json", "catalog.sqlite", "sentences.npy", "chroma"):
        path = source / item
        size = (sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
                if path.is_dir() else path.stat().st_size)
        print(f"  {item:15s} {size / 2**20:8.1f} MiB on disk   {size / chunks:8.0f} B/chunk")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--part":
        print(json.dumps(measure(sys.argv[2], Path(sys.argv[3]), sys.argv[4])))
    elif len(sys.argv) == 2:
        main(Path(sys.argv[1]))
    else:
        sys.exit(__doc__)
