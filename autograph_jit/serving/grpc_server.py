"""TF Serving's gRPC API (`--port`) on grpcio: `tensorflow.serving.PredictionService/Predict` and
`tensorflow.serving.ModelService/GetModelStatus`, over the same RestApp (models, versions,
batching) as the REST server. Other TF Serving RPCs (Classify, Regress, MultiInference,
GetModelMetadata) answer gRPC's UNIMPLEMENTED. Errors carry TF's status codes, which gRPC shares
(INVALID_ARGUMENT, NOT_FOUND, ...). Needs the `[grpc]` extra (grpcio, protobuf).
"""
import logging
from concurrent import futures

from ..errors import InvalidArgumentError, NotFoundError, OpError
from .. import errors

__all__ = ["GrpcServer"]

_log = logging.getLogger("autograph_jit.serving")


class GrpcServer:
    """gRPC Predict/GetModelStatus for a RestApp's models on `host:port` (0: a free port).

    Example:
        grpc_server = GrpcServer(server.app, port=8500).start()
        # stub: channel.unary_unary("/tensorflow.serving.PredictionService/Predict", ...)
        grpc_server.stop()
    """

    def __init__(self, app, host="127.0.0.1", port=8500, max_workers=8):
        import grpc
        from . import grpc_protos as P
        self._grpc, self._p, self.app = grpc, P, app
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers),
                                   options=[("grpc.so_reuseport", 0)])
        predict = grpc.unary_unary_rpc_method_handler(
            self._wrap(self._predict), request_deserializer=P.PredictRequest.FromString,
            response_serializer=P.PredictResponse.SerializeToString)
        status = grpc.unary_unary_rpc_method_handler(
            self._wrap(self._status), request_deserializer=P.GetModelStatusRequest.FromString,
            response_serializer=P.GetModelStatusResponse.SerializeToString)
        self._server.add_generic_rpc_handlers((
            grpc.method_handlers_generic_handler("tensorflow.serving.PredictionService",
                                                 {"Predict": predict}),
            grpc.method_handlers_generic_handler("tensorflow.serving.ModelService",
                                                 {"GetModelStatus": status})))
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            self.port = self._server.add_insecure_port(target)
        except RuntimeError as e:   # grpcio raises this when the port is taken
            raise OSError(f"gRPC: cannot listen on {target} ({e})") from None
        if self.port == 0:
            raise OSError(f"gRPC: cannot listen on {target}")

    def start(self):
        """Serve in grpcio's threads; returns self."""
        self._server.start()
        return self

    def stop(self, grace=1.0):
        """Stop, letting running calls finish for `grace` seconds."""
        self._server.stop(grace).wait()

    # -- RPCs ------------------------------------------------------------------------------------
    def _wrap(self, method):
        grpc = self._grpc

        def handler(request, context):
            try:
                return method(request)
            except OpError as e:
                code = next((c for c in grpc.StatusCode if c.value[0] == e.error_code),
                            grpc.StatusCode.UNKNOWN)
                context.abort(code, getattr(e, "message", None) or str(e))
            except Exception as e:  # noqa: BLE001 - any other failure is INTERNAL, logged
                _log.exception("internal error in a gRPC call")
                context.abort(grpc.StatusCode.INTERNAL, f"{type(e).__name__}: {e}")
        return handler

    def _manager(self, spec):
        manager = self.app.models.get(spec.name)
        if manager is None:
            raise NotFoundError(f"Servable not found for request: Latest({spec.name}) (this "
                                f"server serves {sorted(self.app.models)})")
        if spec.version_label:
            raise InvalidArgumentError("version_label is not supported; ask for a version "
                                       "number")
        return manager, (str(spec.version.value) if spec.HasField("version") else None)

    def _predict(self, request):
        P = self._p
        manager, version = self._manager(request.model_spec)
        servable = manager.get(version)
        info = servable.signature(request.model_spec.signature_name)
        names = info.input_names()
        given = set(request.inputs)
        if given != set(names):
            raise InvalidArgumentError(
                f"Predict: the request's inputs {sorted(given)} do not match the signature's "
                f"inputs {names}")
        inputs = {}
        for n, dtype, dims in info.inputs:
            arr = P.to_ndarray(request.inputs[n], n)
            if arr.dtype != dtype.as_numpy_dtype:
                raise InvalidArgumentError(f"Predict: input {n!r} is {arr.dtype}; the signature "
                                           f"expects {dtype.name}")
            if dims is not None and (arr.ndim != len(dims) or any(
                    d is not None and d != s for d, s in zip(dims, arr.shape))):
                raise InvalidArgumentError(
                    f"Predict: input {n!r} has shape {list(arr.shape)}; the signature expects "
                    f"{[-1 if d is None else d for d in dims]}")
            inputs[n] = arr
        outputs = self.app._run(servable, info, inputs)
        wanted = list(request.output_filter) or list(outputs)
        unknown = [n for n in wanted if n not in outputs]
        if unknown:
            raise InvalidArgumentError(f"output_filter names {unknown}, which the signature "
                                       f"does not output (it has {sorted(outputs)})")
        response = P.PredictResponse()
        response.model_spec.name = servable.name
        response.model_spec.version.value = servable.version
        response.model_spec.signature_name = info.name
        for n in wanted:
            response.outputs[n].CopyFrom(P.from_ndarray(outputs[n]))
        return response

    def _status(self, request):
        P = self._p
        manager, version = self._manager(request.model_spec)
        doc = manager.status(version)
        response = P.GetModelStatusResponse()
        for entry in doc["model_version_status"]:
            item = response.model_version_status.add(version=int(entry["version"]),
                                                     state=P.STATES[entry["state"]])
            item.status.error_code = getattr(errors, entry["status"]["error_code"], 2)
            item.status.error_message = entry["status"]["error_message"]
        return response
