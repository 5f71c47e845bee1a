"""Invoices, late fees and money arithmetic."""
