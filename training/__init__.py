"""Datasets, model definition, training and evaluation for the character classifier."""
