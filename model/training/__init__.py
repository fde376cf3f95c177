"""Training: oracle labels, the run's settings and data, the loop, its state and curves."""
