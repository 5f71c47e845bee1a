"""Ledgerly: invoices and card payments for small businesses."""

__version__ = "0.7.2"
