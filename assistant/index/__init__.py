"""Index: the dense store (Chroma), BM25, and the SQLite store of documents and facts."""
