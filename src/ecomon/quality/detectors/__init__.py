"""Detectors of abnormal and falsified data (fact-sheet catalogue D1–D16): pure functions over a station panel.

Each detector returns `AlarmEvent`s (which detector, where, when, a score and its evidence); `catalogue`
lists them with the inputs they need and runs the applicable ones.
"""
