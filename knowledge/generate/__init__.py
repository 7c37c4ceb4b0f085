"""Generator backends: a Hub model in the worker, a hosted endpoint, or extractive quoting."""

from knowledge.generate.base import Generator, ModelLoadError
from knowledge.generate.factory import load_generator

__all__ = ["Generator", "ModelLoadError", "load_generator"]
