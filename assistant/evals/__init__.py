"""Evaluation suites: load them, run them against the assistant, score and report.

``suite`` reads and validates JSONL suites (docs/contract.md §2), ``judge`` is the containment
judge, ``metrics`` holds the pure scoring functions, ``runner`` asks the questions (in process
or over HTTP) and ``report`` writes the self-contained HTML report.
"""
