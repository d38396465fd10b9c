"""What operators watch beside the metrics (gateway/metrics): traces, log lines, and the one request
observer both the access log and the request metrics hang on."""
