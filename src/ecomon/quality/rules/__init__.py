"""Automatic QC rule tests: pure functions, arrays and thresholds in, QARTOD flags (`ecomon.quality.flags`) out.

One module per family; `config` holds the thresholds as versioned data and `runner` applies them to long-format
frames, in batch or as a stream, with the same functions.
"""
