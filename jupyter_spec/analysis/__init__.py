"""Analysis: results as a tidy DataFrame, metrics, calibration and comparisons."""
