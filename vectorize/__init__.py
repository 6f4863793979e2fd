"""Vectorizer baseline: diffusion image -> colour quantisation -> contours -> SVG."""
