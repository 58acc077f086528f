"""nemo_repro: recycle web text into pretraining data (RePro) on the NVIDIA stack."""

__version__ = "0.1.0"
