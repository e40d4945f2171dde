"""ICE's batch job as a Producer: the producer, what its answers mean, and how they map."""

from highlights.producers.ice.answers import job_status, parse_extend
from highlights.producers.ice.errors import classify_error
from highlights.producers.ice.producer import (
    GET,
    LIST,
    SUBMIT,
    IceProducer,
    clear_client_cache,
    ice_endpoint,
    user_data_json,
)

__all__ = [
    "GET",
    "LIST",
    "SUBMIT",
    "IceProducer",
    "classify_error",
    "clear_client_cache",
    "ice_endpoint",
    "job_status",
    "parse_extend",
    "user_data_json",
]
