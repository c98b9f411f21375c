from catalog.datasets.router import router

__all__ = ["router"]
