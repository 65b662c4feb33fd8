"""The HTTP API: FastAPI app, routes by area, security, metrics. It only translates.

``assistant.app.create_app`` builds the app; ``assistant serve`` runs it under uvicorn.
"""
