"""Metrics: pure functions of the results table (adherence, intervals, agreement, sycophancy)."""
