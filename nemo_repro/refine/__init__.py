"""Document refinement by programs (ProX)."""
