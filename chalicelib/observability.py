"""Structured logs and metrics (Powertools). X-Ray tracing is not offered (docs/deploy.md)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger(service="mall")
NAMESPACE = "Mall"
metrics = Metrics(namespace=NAMESPACE, service="mall")


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Add one count metric; dimensions apply to this metric only (a single-metric EMF record).
    POWERTOOLS_METRICS_DISABLED=true turns both kinds off (Powertools' `single_metric` ignores it)."""
    if dimensions:
        if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
            return
        with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE) as metric:
            for key, dim in dimensions.items():
                metric.add_dimension(name=key, value=dim)
    else:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

