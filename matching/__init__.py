"""Ranking of local firms against buyers' component needs, with reasons."""
