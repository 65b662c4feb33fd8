"""The HTTP API: FastAPI app, routes by area, security, metrics. It only translates.

``assistant.api.app.create_app`` builds the app; ``assistant serve`` runs it under uvicorn.
"""
