"""`python -m monitor` is the same as the `cct-monitor` console script."""

from monitor.cli import main

main()
