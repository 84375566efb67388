"""The conformance harness: drives refimpl and real frameworks through one adapter protocol."""
