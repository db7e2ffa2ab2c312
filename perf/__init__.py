"""Measuring colearn at city scale: the benchmark (``colearn bench``), the soak
(``colearn soak``), the HTTP load generator they share, and a real
``colearn serve`` process to measure."""
