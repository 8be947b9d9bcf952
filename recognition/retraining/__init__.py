"""Retraining from reviewers' corrections: runs as model versions, their data and decisions."""
