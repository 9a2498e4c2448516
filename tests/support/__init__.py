"""Real local stand-ins used by the tests: HTTP servers on 127.0.0.1."""
