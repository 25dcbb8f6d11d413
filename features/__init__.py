"""Feature pipeline of cnht-match: Vietnamese text, taxonomy, certifications,
ingestion, geography, firm profiles and the demo data.

This package never imports FastAPI, SQLAlchemy or ``os.environ``: it works on
pandas DataFrames and numpy/scipy arrays so notebooks can use it without a server.
"""

from features.exceptions import CnhtError

__all__ = ["CnhtError"]
