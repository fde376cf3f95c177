"""HTTP service: routes, schemas, settings, dynamic batcher, metrics and errors."""
