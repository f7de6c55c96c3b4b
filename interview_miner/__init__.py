"""interview-miner: recorded customer interviews in, evidence-backed buyer personas out."""
__version__ = "0.1.0"
