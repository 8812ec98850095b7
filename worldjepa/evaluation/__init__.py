"""Evaluation: plan on held-out start/goal pairs and report success with confidence intervals."""
