"""The web app (FastAPI, server-rendered, Bahasa Indonesia): accounts, queues, cases, desk."""
