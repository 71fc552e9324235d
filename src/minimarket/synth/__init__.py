"""minimarket.synth."""
