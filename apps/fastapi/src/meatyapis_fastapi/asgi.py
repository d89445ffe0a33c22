"""The ASGI entry module: `meatyapis_fastapi.asgi:app`, configured from the environment."""

from meatyapis_fastapi.app import create_app

app = create_app()
