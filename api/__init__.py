"""The service edge of cnht-match: CLI, HTTP API, storage and web pages."""
