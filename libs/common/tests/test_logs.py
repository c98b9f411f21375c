import json
import logging

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from hdh_common.logs import JsonFormatter, configure_logging, correlation_id_var, request_id_var


def record(message: str, **extra: object) -> logging.LogRecord:
    return logging.makeLogRecord({"name": "t", "levelname": "INFO", "msg": message, **extra})


def test_a_line_is_json_with_the_request_context() -> None:
    request_token = request_id_var.set("req-1")
    correlation_token = correlation_id_var.set("corr-1")
    try:
        line = JsonFormatter("catalog").format(record("GET /x 200", status=200))
    finally:
        request_id_var.reset(request_token)
        correlation_id_var.reset(correlation_token)
    entry = json.loads(line)
    assert entry["service"] == "catalog"
    assert entry["message"] == "GET /x 200"
    assert entry["request_id"] == "req-1"
    assert entry["correlation_id"] == "corr-1"
    assert entry["status"] == 200


def test_outside_a_request_there_is_no_request_id() -> None:
    entry = json.loads(JsonFormatter("audit").format(record("started")))
    assert "request_id" not in entry
    assert "trace_id" not in entry and "span_id" not in entry


def test_a_line_written_in_a_span_names_its_trace_and_span() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        entry = json.loads(JsonFormatter("access").format(record("granted")))
    ids = span.get_span_context()
    assert entry["trace_id"] == trace.format_trace_id(ids.trace_id)
    assert entry["span_id"] == trace.format_span_id(ids.span_id)


def test_client_request_lines_are_not_logged() -> None:
    """httpx logs each URL, query string included, at INFO: not in the services' logs."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("gateway", "INFO")
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert logging.getLogger("hdh.http").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
