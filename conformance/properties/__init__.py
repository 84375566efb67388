"""Property suites, one pytest module per area, run by ``python -m conformance run`` (not
collected by the normal ``tests/`` run). Each module defines ``PROPERTY`` (or several),
``cells(session)`` (the cells it runs) and ``check_cell(session, cell, stats)`` (one cell);
its test function is a thin wrapper the pytest plugin parameterises with the cells."""
