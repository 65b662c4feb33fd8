"""The chat web UI: its routes (routes.py) and its static page (static/)."""

from .routes import WEB_DIR, mount_web

__all__ = ["WEB_DIR", "mount_web"]
