"""Synthetic casework for demonstration and benchmark databases (``linkages casework``)."""
