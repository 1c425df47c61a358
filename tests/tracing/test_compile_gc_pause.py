"""A compile (trace, passes, lowering) runs with automatic garbage collection paused
(ir/gc_pause.py), and leaves the collector as it found it."""
import gc
import threading

import numpy as np

import autograph_jit as tf
from autograph_jit.ir import gc_pause


def test_pause_turns_collection_off_and_back_on():
    assert gc.isenabled()
    with gc_pause.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_resume_only_at_the_outermost_end():
    with gc_pause.paused():
        with gc_pause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_program_that_turned_collection_off_keeps_it_off():
    gc.disable()
    try:
        with gc_pause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_collection_resumes_after_an_exception():
    try:
        with gc_pause.paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_overlapping_pauses_on_two_threads_resume_when_the_last_ends():
    inside, release = threading.Event(), threading.Event()

    def other():
        with gc_pause.paused():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(10)
    with gc_pause.paused():
        pass
    assert not gc.isenabled()  # the other thread's pause still holds
    release.set()
    t.join(10)
    assert gc.isenabled()


def test_pausing_decorator_keeps_the_name_and_the_result():
    @gc_pause.pausing
    def work(x):
        """Doc."""
        return x + int(gc.isenabled())

    assert work(1) == 1 and work.__name__ == "work" and work.__doc__ == "Doc."
    assert gc.isenabled()


def test_a_compiled_call_leaves_collection_on_and_locations_point_at_user_code():
    @tf.function
    def f(x):
        return tf.nn.relu(x * 2.0) + 1.0  # the line the traced nodes name

    x = np.array([-1.0, 2.0], np.float32)
    np.testing.assert_allclose(f(x).numpy(), np.maximum(x * 2, 0) + 1)
    assert gc.isenabled()
    cf = f.get_concrete_function(x)
    locations = {n.location.filename for n in cf.graph.nodes if n.location is not None}
    assert locations == {__file__}


def test_import_moves_the_imported_modules_state_to_the_permanent_generation():
    import subprocess
    import sys
    code = ("import gc; import autograph_jit; "
            "print(gc.get_freeze_count(), len(gc.get_objects()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    frozen, tracked = int(out[0]), int(out[1])
    assert frozen > 10_000 and tracked < frozen  # later collections walk only the rest
