"""The coordination engine: signals, time windows, account graph, clusters, summaries, exports."""
