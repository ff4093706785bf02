"""Helpers the tests share: real node processes and networks of them."""
