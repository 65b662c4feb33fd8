"""The ``assistant`` command: ``main.py`` holds the app and the index commands; ``eval``,
``serve``, ``slack`` and ``train`` one command group each. The CLI only translates.
"""

from .main import app, main

__all__ = ["app", "main"]
