"""The console adapter: the whole product in a terminal, and the local test harness."""
