"""``python -m playground.cli``: the same as the ``playground`` command."""

from . import main

main()
