"""The converters alone, on plain Python: converted code (tf.autograph.to_graph) run on Python
values behaves exactly like the original, and to_code shows readable code with line comments."""
import ast

import pytest

import autograph_jit as tf
from autograph_jit.autograph import conversion, transformer

counter = 0


def same(fn, *args):
    converted = tf.autograph.to_graph(fn)
    assert converted is not fn
    assert converted(*args) == fn(*args)
    return converted


def test_break_in_while_matches_python():
    def f(n):
        i, seen = 0, []
        while i < n:
            if i == 3:
                break
            seen.append(i)
            i += 1
        else:
            seen.append("else")
        return seen
    same(f, 10)
    same(f, 2)


def test_continue_in_for_matches_python():
    def f(xs):
        out = []
        for x in xs:
            if x % 2:
                continue
            out.append(x * 10)
        return out
    same(f, [1, 2, 3, 4, 6])


def test_early_return_in_nested_loops_matches_python():
    def f(m, target):
        for i, row in enumerate(m):
            for j, v in enumerate(row):
                if v == target:
                    return (i, j)
        return None
    same(f, [[1, 2], [3, 4]], 4)
    same(f, [[1, 2], [3, 4]], 9)


def test_for_else_runs_only_when_the_loop_did_not_break():
    def f(xs, stop):
        for x in xs:
            if x == stop:
                r = "broke"
                break
        else:
            r = "finished"
        return r
    same(f, [1, 2, 3], 2)
    same(f, [1, 2, 3], 7)


def test_and_or_not_keep_python_operand_semantics():
    def f(a, b):
        return (a and b, a or b, not a, [] or "x", 0 and 1 / 0)
    same(f, 0, "y")
    same(f, [1], None)


def test_conditional_expression_evaluates_only_the_chosen_side():
    def f(x):
        return 1 / x if x else "zero"
    same(f, 0)
    same(f, 4)


def test_assert_on_python_value_raises_assertion_error_with_the_message():
    def f(x):
        assert x > 0, f"bad {x}"
        return x
    g = same(f, 1)
    with pytest.raises(AssertionError, match="bad -1"):
        g(-1)


def test_global_statement_updates_the_module_global():
    def f(n):
        global counter
        for i in range(n):
            if i % 2:
                counter += 1
        return counter
    start = counter
    tf.autograph.to_graph(f)(5)
    assert counter == start + 2


def test_nonlocal_counter_in_nested_function_updates_the_enclosing_variable():
    def f(n):
        total = 0

        def add(k):
            nonlocal total
            if k > 1:
                total += k
        for k in range(n):
            add(k)
        return total
    same(f, 5)


def test_generated_flags_do_not_collide_with_user_names():
    def f(xs):
        break_, do_return, continue_ = "b", "r", "c"
        for x in xs:
            if x < 0:
                continue
            if x > 5:
                break
        return break_ + do_return + continue_
    same(f, [1, -1, 9])


def test_default_and_keyword_only_arguments_are_kept():
    def f(x, y=2, *args, z=3, **kw):
        if x:
            return x + y + z + sum(args) + len(kw)
        return 0
    g = same(f, 1)
    assert g(1, 1, 1, 1, z=0, q=5) == f(1, 1, 1, 1, z=0, q=5)


def test_super_call_in_a_converted_method_works():
    class Base:
        def value(self):
            return 1

    class Child(Base):
        def value(self):
            v = super().value()
            if v > 0:
                v += 10
            return v
    converted = tf.autograph.to_graph(Child().value)
    assert converted() == 11


def test_try_except_inside_a_loop_keeps_python_semantics():
    def f(xs):
        out = 0
        for x in xs:
            try:
                out += 10 // x
            except ZeroDivisionError:
                out -= 1
        return out
    same(f, [1, 0, 5])


def test_reading_an_unassigned_variable_raises_unbound_local_error_naming_it():
    def f(flag):
        if flag:
            y = 1
        return y
    g = tf.autograph.to_graph(f)
    assert g(True) == 1
    with pytest.raises(UnboundLocalError, match="'y'"):
        g(False)


def test_conversion_is_cached_per_function_object():
    def f(x):
        return x + 1 if x else x
    assert tf.autograph.to_graph(f) is tf.autograph.to_graph(f)


def test_to_code_shows_operators_and_original_line_comments():
    def f(x):
        s = 0
        while x > 0:
            s += x
            x -= 1
        return s
    code = tf.autograph.to_code(f)
    first = f.__code__.co_firstlineno
    assert code.splitlines()[0] == f"def f(x):  # test_converters.py:{first}"
    assert "ag__.while_stmt(loop_test, loop_body, get_state, set_state, ('s', 'x'), ())" in code
    assert f"s += x  # test_converters.py:{first + 3}" in code
    ast.parse(code)  # valid Python


def test_to_code_of_a_tf_function_and_of_a_lambda():
    @tf.function
    def f(x):
        return x if x > 0 else -x
    assert "ag__.if_exp(" in tf.autograph.to_code(f)
    g = lambda v: v and 1
    assert "ag__.and_((lambda : v), (lambda : 1))" in tf.autograph.to_code(g)


def test_liveness_leaves_loop_temporaries_out_of_the_loop_state():
    def f(xs):
        total = 0
        for x in xs:
            t = x * 2
            total += t
        return total
    code = tf.autograph.to_code(f)
    assert "('total',), ('t', 'x'))" in code
    same(f, [1, 2, 3])


def test_template_substitutes_names_and_statement_lists():
    loc = ast.parse("x = 1").body[0]
    body = ast.parse("y = 2\nz = 3").body
    stmts = transformer.template("if not FLAG:\n    BODY", loc, FLAG="done", BODY=body)
    assert ast.unparse(stmts[0]) == "if not done:\n    y = 2\n    z = 3"
    assert stmts[0].lineno == 1


def test_generator_functions_run_as_written_without_a_warning():
    import warnings

    def gen(n):
        for i in range(n):
            yield i * 2

    def f(x):
        return x + sum(gen(3))
    with pytest.raises(conversion.NotConverted):
        conversion.convert(gen)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert tf.function(f)(tf.constant(1)).numpy() == 7
    assert not [x for x in w if "could not convert" in str(x.message)]
