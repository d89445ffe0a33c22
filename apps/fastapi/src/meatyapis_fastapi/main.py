"""The ASGI entry point `meatyapis_fastapi.main:app`, configured from the environment."""

from meatyapis_fastapi.application import create_app

app = create_app()
