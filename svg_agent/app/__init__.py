"""The application layer: the policy, training, generation, the web page and the command line.

Built on the SVG core (`svg_agent`), the reward (`rewards`) and the image side (`vectorize`); nothing
below this layer imports it. `eval` (the metric, the Kaggle package, benchmarks) sits beside it.
"""
