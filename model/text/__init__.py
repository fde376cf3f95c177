"""Text before the network: sentence splitting, PTB text, languages and data files."""
