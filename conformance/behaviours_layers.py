"""Behaviour cases for layer-level policy fields (pooling, linear layout, initialisers, mixed
dtypes of input and weight); registered into ``behaviours.CASES`` on import."""
