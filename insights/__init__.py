"""Citywide insights: aggregates over the graph with small cells suppressed, and their charts."""
