"""madoguchi: a resident inquiry assistant for Japanese municipalities."""
__version__ = "0.1.0"
