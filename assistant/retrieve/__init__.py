"""Retrieval: hybrid fusion of dense and BM25 rankings, and follow-up rewriting."""
