"""Data bundled with colearn: the learning spine, the demo city and the
Stack Exchange Martial Arts badge dump. Attribution is in ``data/README.md``."""
