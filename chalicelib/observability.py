"""Structured logs and metrics (Powertools). X-Ray is imported only when tracing is on."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger(service="mall")
NAMESPACE = "Mall"
metrics = Metrics(namespace=NAMESPACE, service="mall")


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Add one count metric; dimensions apply to this metric only (a single-metric EMF record)."""
    if dimensions:
        with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE) as metric:
            for key, dim in dimensions.items():
                metric.add_dimension(name=key, value=dim)
    else:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


@lru_cache(maxsize=1)
def tracer():
    """The Powertools Tracer, imported on first use: aws_xray_sdk costs ~120 ms at import."""
    from aws_lambda_powertools import Tracer

    return Tracer(service="mall")
