"""Metrics: pure functions of the results table (adherence, intervals, paired differences, agreement,
sycophancy)."""
