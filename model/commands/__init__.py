"""Subcommands of the `bertsum` command line."""
