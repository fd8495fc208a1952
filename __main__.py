"""Lets `python -m offercoach` run the command line."""

from offercoach.cli import run

run()
