"""Evaluation: the competition metric, benchmarks, Kaggle export. Import as `from eval.x import y`."""
