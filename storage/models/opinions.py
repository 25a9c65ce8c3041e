"""Models of the opinion lifecycle (issue 4)."""

__all__: list[str] = []
