"""`python -m autograph_jit.serving` with TF Serving's flags: parsing, and a real server process
on 127.0.0.1 answering a predict request, stopped at the end."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from autograph_jit.serving.__main__ import parse_args

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_tf_serving_flags_parse_in_both_syntaxes():
    a = parse_args(["--model_name=mlp", "--model_base_path=/m", "--rest_api_port=9000",
                    "--port=9001", "--enable_batching=true", "--batching_parameters_file=b.txt"])
    assert (a.model_name, a.model_base_path, a.rest_api_port, a.port, a.enable_batching,
            a.batching_parameters_file) == ("mlp", "/m", 9000, 9001, True, "b.txt")
    b = parse_args(["--model_base_path", "/m", "--enable_batching"])
    assert (b.model_name, b.rest_api_port, b.enable_batching) == ("default", 8501, True)


@pytest.mark.parametrize("argv", [[], ["--model_base_path=/m", "--port=1", "--rest_api_port=1"],
                                  ["--model_base_path=/m", "--batching_parameters_file=b"],
                                  ["--model_base_path=/m", "--enable_batching=maybe"]])
def test_bad_command_lines_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as e:
        parse_args(argv)
    assert e.value.code == 2


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_line_server_serves_predict_with_batching(model_root, tmp_path):
    params = tmp_path / "batching.txt"
    params.write_text("max_batch_size { value: 4 }\nbatch_timeout_micros { value: 1000 }\n")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograph_jit.serving", "--model_name=linear",
         f"--model_base_path={model_root / 'linear'}", f"--rest_api_port={port}",
         "--rest_api_host=127.0.0.1", f"--port={_free_port()}", "--enable_batching=true",
         f"--batching_parameters_file={params}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        url = f"http://127.0.0.1:{port}/v1/models/linear"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    assert json.loads(r.read())["model_version_status"][0]["state"] == \
                        "AVAILABLE"
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        req = urllib.request.Request(url + ":predict", method="POST",
                                     data=json.dumps({"instances": [[0, 0, 0]]}).encode())
        with urllib.request.urlopen(req, timeout=30) as r:
            assert json.loads(r.read()) == {"predictions": [[0.0, 0.0]]}
    finally:
        proc.terminate()
        proc.wait(30)


def test_missing_model_folder_exits_1_with_a_message(tmp_path, capsys):
    from autograph_jit.serving.__main__ import main
    assert main([f"--model_base_path={tmp_path / 'none'}", "--rest_api_port=0"]) == 1
    assert "no loadable model version" in capsys.readouterr().err


def test_bad_batching_file_exits_1_naming_the_field(model_root, tmp_path, capsys):
    from autograph_jit.serving.__main__ import main
    params = tmp_path / "b.txt"
    params.write_text("max_batch_size { value: -3 }")
    assert main([f"--model_base_path={model_root / 'linear'}", "--rest_api_port=0",
                 "--enable_batching", f"--batching_parameters_file={params}"]) == 1
    assert "max_batch_size must be >= 1" in capsys.readouterr().err
