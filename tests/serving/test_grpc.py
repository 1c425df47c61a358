"""TF Serving's gRPC API (`tensorflow.serving.PredictionService/Predict`,
`ModelService/GetModelStatus`) on 127.0.0.1: the messages are TF Serving's wire format, results
equal the model's, errors carry TF's status codes."""
import numpy as np
import pytest

grpc = pytest.importorskip("grpc")

from autograph_jit.serving import grpc_protos as P  # noqa: E402

from .conftest import W  # noqa: E402


def _call(port, method, request, response_cls, service="PredictionService"):
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        rpc = channel.unary_unary(f"/tensorflow.serving.{service}/{method}",
                                  request_serializer=type(request).SerializeToString,
                                  response_deserializer=response_cls.FromString)
        return rpc(request, timeout=30)


def _request(name, **inputs):
    request = P.PredictRequest()
    request.model_spec.name = name
    for k, v in inputs.items():
        request.inputs[k].CopyFrom(P.from_ndarray(v))
    return request


def test_grpc_predict_equals_the_model_and_names_the_version(serve):
    server = serve("linear", grpc_port=0)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    response = _call(server.grpc_port, "Predict", _request("linear", x=x), P.PredictResponse)
    (name,) = list(response.outputs)
    np.testing.assert_allclose(P.to_ndarray(response.outputs[name]), x @ W, rtol=1e-6)
    assert (response.model_spec.name, response.model_spec.version.value,
            response.model_spec.signature_name) == ("linear", 1, "serving_default")


def test_grpc_predict_with_named_inputs_typed_values_and_output_filter(serve):
    server = serve("two", grpc_port=0)
    request = _request("two", n=np.array([2, 3], np.int32))
    a = request.inputs["a"]
    a.dtype = 1
    a.tensor_shape.dim.add(size=2)
    a.tensor_shape.dim.add(size=2)
    a.float_val.extend([1.0, 2.0, 3.0, 4.0])   # typed values, as small client tensors come
    request.output_filter.append("scaled")
    response = _call(server.grpc_port, "Predict", request, P.PredictResponse)
    assert list(response.outputs) == ["scaled"]
    np.testing.assert_allclose(P.to_ndarray(response.outputs["scaled"]), [6.0, 21.0])


def test_grpc_errors_carry_tf_status_codes(serve):
    server = serve("linear", grpc_port=0)
    x = np.zeros((1, 3), np.float32)
    cases = [(_request("nope", x=x), grpc.StatusCode.NOT_FOUND),
             (_request("linear", y=x), grpc.StatusCode.INVALID_ARGUMENT),
             (_request("linear", x=np.zeros((1, 4), np.float32)),
              grpc.StatusCode.INVALID_ARGUMENT)]
    versioned = _request("linear", x=x)
    versioned.model_spec.version.value = 7
    cases.append((versioned, grpc.StatusCode.NOT_FOUND))
    for request, code in cases:
        with pytest.raises(grpc.RpcError) as info:
            _call(server.grpc_port, "Predict", request, P.PredictResponse)
        assert info.value.code() == code, info.value.details()
    with pytest.raises(grpc.RpcError) as info:
        _call(server.grpc_port, "Classify", _request("linear", x=x), P.PredictResponse)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_grpc_get_model_status_reports_the_available_version(serve):
    server = serve("linear", grpc_port=0)
    request = P.GetModelStatusRequest()
    request.model_spec.name = "linear"
    response = _call(server.grpc_port, "GetModelStatus", request, P.GetModelStatusResponse,
                     service="ModelService")
    (status,) = response.model_version_status
    assert (status.version, status.state, status.status.error_code) == (1, 30, 0)


def test_tensor_proto_round_trips_and_rejects_wrong_sizes():
    for arr in (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([True, False]),
                np.array(3, np.int64), np.zeros((0, 2), np.float64)):
        back = P.to_ndarray(P.TensorProto.FromString(
            P.from_ndarray(arr).SerializeToString()))
        assert back.dtype == arr.dtype and np.array_equal(back, arr)
    proto = P.from_ndarray(np.zeros(4, np.float32))
    proto.tensor_shape.dim[0].size = 5
    import autograph_jit as tf
    with pytest.raises(tf.errors.InvalidArgumentError, match="needs 5"):
        P.to_ndarray(proto)
