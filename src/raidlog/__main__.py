"""``python -m raidlog`` runs the command line."""

from raidlog.cli import main

main()
