"""GovTrust 政务诚信平台."""

__version__ = "0.1.0"
