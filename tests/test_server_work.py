"""The benchmark's count of the Temporal server's work: its persistence requests per operation,
summed over the services that made them, from its Prometheus text (with or without the
`_total` suffix and a sample's timestamp) (the live endpoint is read
by `test_cli.py::test_bench_runs_and_prints_ratios`)."""

from __future__ import annotations

from onestop.server_work import ServerWork, persistence_requests

EXPOSITION = """\
# HELP persistence_requests persistence_requests counter
# TYPE persistence_requests counter
persistence_requests{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} 42
persistence_requests{namespace="system",operation="GetCurrentClusterMetadata",service_name="frontend"} 3
persistence_requests{namespace="system",operation="GetCurrentClusterMetadata",service_name="history"} 5
persistence_requests_total{namespace="default",operation="CreateTasks",service_name="matching"} 6 1796300000000
persistence_requests_bucket{operation="UpdateWorkflowExecution",le="0.01"} 40
persistence_latency_count{operation="UpdateWorkflowExecution",service_name="history"} 42
"""


def test_requests_are_summed_per_operation_over_services() -> None:
    assert persistence_requests(EXPOSITION) == {
        "UpdateWorkflowExecution": 42.0,
        "GetCurrentClusterMetadata": 8.0,
        "CreateTasks": 6.0,
    }


def test_per_case_is_the_growth_of_all_operations_over_the_cases() -> None:
    before = {"UpdateWorkflowExecution": 10.0, "GetCurrentClusterMetadata": 1.0}
    after = {"UpdateWorkflowExecution": 52.0, "GetCurrentClusterMetadata": 3.0, "CreateTasks": 6.0}
    assert ServerWork.per_case(before, after, 2) == 25.0
    assert ServerWork.per_case(before, after, 0) == 0.0
