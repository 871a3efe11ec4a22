"""The local test lab: Kafka, MariaDB, the SingleStore double, moto and Docker on 127.0.0.1.

Kept import-light on purpose (the double's package lives below it). Use `tests.lab.api.Lab`
from Python and `python -m tests.lab` from a shell; see README.md.
"""
