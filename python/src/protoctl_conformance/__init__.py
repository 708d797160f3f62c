"""protoctl's Python conformance testee (see testee.py)."""
