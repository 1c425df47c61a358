"""A TF-Serving-compatible model server (`python -m autograph_jit.serving --model_name=NAME
--model_base_path=DIR --rest_api_port=8501`): TF Serving's REST API (status, metadata,
predict/classify/regress), version folders with hot-swap, and server-side batching.

Modules: `server` (the standard-library HTTP server), `app` (the routes, without a transport),
`asgi` (the same as an ASGI app, `asgi_app`, for uvicorn), `rest` (request/response bodies),
`servable` (one loaded version), `model_manager` (version folders), `batching` /
`batching_config` (batching and its parameters file), `status` (TF status -> HTTP codes),
`__main__` (the command line).
"""
from .asgi import asgi_app
from .batching import BatchScheduler
from .batching_config import BatchingParameters, load_batching_parameters, \
    parse_batching_parameters
from .server import ModelServer

__all__ = ["ModelServer", "asgi_app", "BatchScheduler", "BatchingParameters", "load_batching_parameters",
           "parse_batching_parameters"]
