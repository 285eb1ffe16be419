"""The relying-party side: one connector per upstream identity provider."""
