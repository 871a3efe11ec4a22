"""SingleStore test double: a MySQL-protocol server that forwards to MariaDB and answers what
SingleStore adds (see README.md). Test infrastructure only; it never ships in the collection.

Run: ``python -m tests.lab.double --help``.
"""
