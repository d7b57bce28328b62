"""Differential diagnosis: clinical context, cited knowledge base, Bayesian ranking, explanations.

Knows nothing of images: ``rank(evidence, context)`` takes a pattern id or the seven class
probabilities. Research software, not for clinical use.
"""

from calcvision.ddx.context import Context, ContextSource, load_contexts, parse_context
from calcvision.ddx.engine import Diagnosis, Differential, rank

__all__ = ["Context", "ContextSource", "Diagnosis", "Differential", "load_contexts", "parse_context", "rank"]
