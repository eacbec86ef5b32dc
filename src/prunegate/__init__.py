"""prunegate: a labelled dataset in, a compressed, verified, served and monitored PyTorch model out."""

__version__ = "0.1.0"
