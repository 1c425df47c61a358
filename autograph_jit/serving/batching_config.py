"""TF Serving's batching parameters (`--batching_parameters_file`): the text-proto file
(`max_batch_size { value: 32 }`, `allowed_batch_sizes: 8`, ...) parsed into `BatchingParameters`.

The format is small (scalar wrappers `name { value: V }`, bare fields `name: V`, repeated fields
repeated) so it is parsed here without protobuf.
"""
import dataclasses
import re

from ..errors import InvalidArgumentError

__all__ = ["BatchingParameters", "parse_batching_parameters", "load_batching_parameters"]


@dataclasses.dataclass
class BatchingParameters:
    """TF Serving's `BatchingParameters` with its defaults.

    Example:
        BatchingParameters(max_batch_size=32, batch_timeout_micros=1000)
    """
    max_batch_size: int = 1000
    batch_timeout_micros: int = 0
    num_batch_threads: int = 1
    max_enqueued_batches: int = 10
    allowed_batch_sizes: tuple = ()
    pad_variable_length_inputs: bool = False
    thread_pool_name: str = "batch_threads"

    def validate(self):
        """Raise InvalidArgumentError naming the field when the parameters are inconsistent."""
        for name in ("max_batch_size", "num_batch_threads", "max_enqueued_batches"):
            if getattr(self, name) < 1:
                raise InvalidArgumentError(f"batching parameter {name} must be >= 1, got "
                                           f"{getattr(self, name)}")
        if self.batch_timeout_micros < 0:
            raise InvalidArgumentError("batching parameter batch_timeout_micros must be >= 0")
        sizes = list(self.allowed_batch_sizes)
        if sizes:
            if sizes != sorted(set(sizes)) or sizes[0] < 1:
                raise InvalidArgumentError(f"allowed_batch_sizes must be positive and strictly "
                                           f"increasing, got {sizes}")
            if sizes[-1] != self.max_batch_size:
                raise InvalidArgumentError(
                    f"the last entry of allowed_batch_sizes ({sizes[-1]}) must equal "
                    f"max_batch_size ({self.max_batch_size})")
        return self


_FIELDS = {f.name: f for f in dataclasses.fields(BatchingParameters)}
_TOKEN = re.compile(r'\s*(?:(#[^\n]*)|([A-Za-z_][A-Za-z0-9_]*)|(\{)|(\})|(:)|("(?:[^"\\]|\\.)*")'
                    r"|([-+]?[0-9.eE+-]+|true|false))")


def _tokens(text):
    pos = 0
    out = []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise InvalidArgumentError(f"batching parameters: cannot parse {text[pos:pos + 30]!r}")
        pos = m.end()
        if m.group(1) is None:
            out.append(next(g for g in m.groups()[1:] if g is not None))
    return out


def _convert(name, raw):
    kind = _FIELDS[name].type
    if raw.startswith('"'):
        raw = raw[1:-1]
    try:
        if name == "pad_variable_length_inputs":
            if raw not in ("true", "false"):
                raise ValueError(raw)
            return raw == "true"
        if name == "thread_pool_name":
            return raw
        return int(raw)
    except ValueError:
        raise InvalidArgumentError(f"batching parameter {name}: {raw!r} is not a valid "
                                   f"{kind}") from None


def parse_batching_parameters(text):
    """Parse TF Serving's batching-parameters text proto.

    Example:
        parse_batching_parameters("max_batch_size { value: 8 } allowed_batch_sizes: 4 "
                                  "allowed_batch_sizes: 8")
    """
    toks = _tokens(text)
    values = {}
    allowed = []
    i = 0
    while i < len(toks):
        name = toks[i]
        if name not in _FIELDS:
            raise InvalidArgumentError(f"batching parameters: unknown field {name!r}; known: "
                                       f"{', '.join(_FIELDS)}")
        if i + 1 < len(toks) and toks[i + 1] == "{":
            # `name { value: V }`
            if toks[i + 2:i + 4] != ["value", ":"] or toks[i + 5:i + 6] != ["}"]:
                raise InvalidArgumentError(f"batching parameters: expected "
                                           f"'{name} {{ value: ... }}'")
            raw, i = toks[i + 4], i + 6
        elif i + 2 < len(toks) and toks[i + 1] == ":":
            raw, i = toks[i + 2], i + 3
        else:
            raise InvalidArgumentError(f"batching parameters: expected ':' or '{{' after {name!r}")
        if name == "allowed_batch_sizes":
            allowed.append(_convert("max_batch_size", raw))
        else:
            values[name] = _convert(name, raw)
    return BatchingParameters(allowed_batch_sizes=tuple(allowed), **values).validate()


def load_batching_parameters(path):
    """Read and parse a batching-parameters file (`--batching_parameters_file`)."""
    with open(path, encoding="utf-8") as fh:
        return parse_batching_parameters(fh.read())
