"""Lets `python -m offercoach` run the command line."""

from .cli import run

run()
