"""What each command does end to end, returning values for cli.py to print."""
