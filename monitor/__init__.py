"""cct-tracking: a DSA compliance monitor for live broadcast transcripts."""

import os

# Torch's OpenMP worker threads spin-wait between parallel regions by default. The monitor interleaves
# inference with Python work (decode, rules, sinks), Kafka's I/O thread and often a broker on the same
# cores, so spinning workers steal the CPU those need (on 2 shared cores, `cct-monitor bench` measured
# the pipeline a third or more faster with passive waiting). Set before torch is imported; an explicit
# setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
