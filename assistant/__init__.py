"""assistant: answers only from its sources, and proves every answer.

The package reads as the data's path:
ingest (load, clean, chunk, extract facts) -> index (dense store, BM25, facts store)
-> retrieve (hybrid fusion, follow-up rewriting) -> answer (citation-enforcing builder)
-> api/ and cli, which only translate.
"""

__version__ = "0.1.0"
