"""In-process fakes of the upstream services Linkgate talks to, written from their published protocols."""
