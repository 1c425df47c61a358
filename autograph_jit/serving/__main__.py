"""`python -m autograph_jit.serving`: TF Serving's `tensorflow_model_server` command line for the
REST API and the gRPC API (Predict, GetModelStatus; `--port`, 0 turns it off; needs grpcio) (`--model_name`, `--model_base_path`, `--rest_api_port`, `--port`, `--enable_batching`,
`--batching_parameters_file`, `--file_system_poll_wait_seconds`, `--rest_api_num_threads` is
accepted and ignored: one thread per connection)."""
import argparse
import importlib.util
import logging
import sys

from ..errors import OpError
from .batching_config import BatchingParameters, load_batching_parameters
from .server import DEFAULT_MAX_BODY_BYTES, ModelServer


def _bool(text):
    if text.lower() in ("true", "1", "yes", ""):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def parse_args(argv=None):
    """TF Serving's flags (`--flag=value` or `--flag value`)."""
    p = argparse.ArgumentParser(prog="python -m autograph_jit.serving",
                                description="Serve a SavedModel over TF Serving's REST API.")
    p.add_argument("--model_name", default="default")
    p.add_argument("--model_base_path", required=True,
                   help="folder holding numeric version folders (<base>/1/, <base>/2/, ...)")
    p.add_argument("--rest_api_port", type=int, default=8501)
    p.add_argument("--port", type=int, default=8500,
                   help="TF Serving's gRPC port (Predict and GetModelStatus; 0: no gRPC); "
                        "needs grpcio (the [grpc] extra)")
    p.add_argument("--rest_api_host", default="0.0.0.0")
    p.add_argument("--enable_batching", type=_bool, nargs="?", const=True, default=False)
    p.add_argument("--batching_parameters_file", default="")
    p.add_argument("--file_system_poll_wait_seconds", type=float, default=1.0)
    p.add_argument("--rest_api_num_threads", type=int, default=0)
    p.add_argument("--max_body_bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    args = p.parse_args(argv)
    if args.port == args.rest_api_port and args.port != 0:
        p.error("--port and --rest_api_port must differ (as in TF Serving)")
    if args.batching_parameters_file and not args.enable_batching:
        p.error("--batching_parameters_file needs --enable_batching=true")
    return args


def main(argv=None):
    """Run the server until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        batching = None
        if args.enable_batching:
            batching = load_batching_parameters(args.batching_parameters_file) \
                if args.batching_parameters_file else BatchingParameters()
        grpc_port = args.port or None
        if grpc_port is not None and importlib.util.find_spec("grpc") is None:
            print("gRPC API not served: grpcio is not installed (pip install "
                  "'autograph_jit[grpc]'); serving REST only", file=sys.stderr, flush=True)
            grpc_port = None
        server = ModelServer(args.model_name, args.model_base_path, host=args.rest_api_host,
                             port=args.rest_api_port, batching=batching,
                             poll_seconds=args.file_system_poll_wait_seconds,
                             max_body_bytes=args.max_body_bytes, grpc_port=grpc_port)
    except (OpError, OSError) as e:
        print(f"error: {getattr(e, 'message', None) or e}", file=sys.stderr)
        return 1
    if server.grpc_port is not None:
        print(f"Running gRPC ModelServer at {args.rest_api_host}:{server.grpc_port} ...",
              flush=True)
    print(f"Exporting HTTP/REST API at:{args.rest_api_host}:{server.port} ...", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
