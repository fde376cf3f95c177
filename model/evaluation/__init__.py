"""Evaluation: ROUGE with intervals and paired gains, and the oracle's fast ROUGE."""
