# The benchmark is run by tests/bench/run.sh, never by pytest (tests/run-all.sh runs `pytest tests`).
collect_ignore_glob = ["*.py"]
