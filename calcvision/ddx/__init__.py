"""Differential diagnosis: clinical context, cited knowledge base, Bayesian ranking, explanations."""
