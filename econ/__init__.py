"""econ: econometrics for village-based assistance (驻村帮扶) research."""

__version__ = "0.1.0"
