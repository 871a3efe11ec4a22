"""The lab's services, in start order; each module holds one class."""

from __future__ import annotations

import importlib

from ..core import Context, LabError, Service

# Start order: the double forwards to MariaDB; docker last because its first start is the slowest.
ORDER: tuple[str, ...] = ("mariadb", "double", "kafka", "moto", "helios", "docker", "stack_host")
_CLASSES = {
    "mariadb": "MariaDB",
    "double": "Double",
    "kafka": "Kafka",
    "moto": "Moto",
    "helios": "Helios",
    "docker": "Docker",
    "stack_host": "StackHost",
}


def service(name: str, ctx: Context) -> Service:
    if name not in _CLASSES:
        raise LabError(f"unknown service {name!r}; the lab has {', '.join(ORDER)}")
    module = importlib.import_module(f"{__name__}.{name}")
    cls: type[Service] = getattr(module, _CLASSES[name])
    return cls(ctx)
