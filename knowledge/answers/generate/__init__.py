"""Generator backends: a Hub model in the worker, a hosted endpoint, or extractive quoting."""

from knowledge.answers.generate.base import Generator, ModelLoadError
from knowledge.answers.generate.factory import load_generator

__all__ = ["Generator", "ModelLoadError", "load_generator"]
