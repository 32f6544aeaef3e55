"""Models: every table is a model; the registry of models is the DAG."""

from courtside.models.registry import Check, Edge, Model, Registry, Window, load_registry

__all__ = ["Check", "Edge", "Model", "Registry", "Window", "load_registry"]
