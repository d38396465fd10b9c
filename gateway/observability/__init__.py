"""What operators watch: traces (and, with them, metrics and logs)."""
