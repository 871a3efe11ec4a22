"""A stand-in for SingleStore Helios' Management API (v1 regions, workspace groups, workspaces).

`server.py` holds the model (`HeliosState`, pure and clock-driven, unit tested) and the HTTP layer;
`SOURCES.md` cites every endpoint, field, state and error body it serves.
"""
