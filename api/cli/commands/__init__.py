"""One module per ``cnht`` command; each defines ``register(app)``."""
