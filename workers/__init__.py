"""Worker processes: an RQ worker set up with our logging, settings and pause check."""
