"""The ML library: splitting, encoding, scoring network, selection, training, evaluation."""
