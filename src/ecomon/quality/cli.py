"""Command group (being written)."""

import typer


def register(app: typer.Typer) -> None:
    """Attach this package's commands to the root `ecomon` app."""
