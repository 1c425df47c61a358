"""The IR's text form (`print(cf.graph)`), graph traversal, and symbolic tensor printing."""
import inspect
import re

import autograph_jit as tf

HERE = "test_ir.py"


def _line_of(fn, marker):
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, text in enumerate(lines) if marker in text)


def _affine(x, b):
    y = tf.add(x, b)  # @add
    return tf.multiply(y, 2.0)  # @mul


def test_printed_graph_of_a_pure_function_is_exact():
    cf = tf.function(_affine).get_concrete_function(tf.TensorSpec([None, 3], tf.float32),
                                                     tf.TensorSpec([3], tf.float32))
    add_line, mul_line = _line_of(_affine, "@add"), _line_of(_affine, "@mul")
    expected = "\n".join([
        "func _affine(%x:f32[?,3], %b:f32[3]) -> (f32[?,3]) {",
        "  %0:f32[?,3] = add %x, %b".ljust(72) + f"# {HERE}:{add_line}",
        "  %1:f32[?,3] = multiply %0, 2.0:f32".ljust(72) + f"# {HERE}:{mul_line}",
        "  return %1",
        "}",
    ])
    assert str(cf.graph) == expected


def test_print_of_graph_writes_its_text_form(capsys):
    cf = tf.function(_affine).get_concrete_function(tf.constant([1.0, 2.0, 3.0]),
                                                     tf.constant([1.0, 2.0, 3.0]))
    print(cf.graph)
    assert capsys.readouterr().out == str(cf.graph) + "\n"
    assert str(cf.graph).startswith("func _affine(%x:f32[3], %b:f32[3]) -> (f32[3]) {")


def test_scalar_constants_are_inlined_as_typed_literals():
    def f(x, n):
        return x * 2.0 + 1.0, n + 3, tf.logical_and(n > 0, True)
    text = str(tf.function(f).get_concrete_function(tf.constant(1.0), tf.constant(1)).graph)
    assert "2.0:f32" in text and "1.0:f32" in text and "3:i32" in text and "true:bool" in text
    assert "constant" not in text


def test_effects_thread_a_visible_token_through_the_printout():
    v = tf.Variable(1.0, name="counter")

    def f(x):
        v.assign_add(x)
        return v.read_value()
    text = str(tf.function(f).get_concrete_function(tf.constant(1.0)).graph)
    lines = text.splitlines()
    assert lines[0] == "func f(%x:f32[], %t0:!effect) -> (f32[], !effect) {"
    assert re.search(r"= read_variable %t0 \{var=\"counter\"\}", text)
    assign = next(line for line in lines if "assign_variable" in line)
    read_after = [line for line in lines[lines.index(assign):] if "read_variable" in line]
    assert read_after, "the final read comes after the assignment in program order"
    assert re.match(r"  return %\w+, %t\d+$", lines[-2])


def test_pure_function_has_no_effect_token():
    text = str(tf.function(_affine).get_concrete_function(tf.constant(1.0),
                                                           tf.constant(1.0)).graph)
    assert "!effect" not in text


def test_nodes_carry_the_user_file_and_line():
    def f(x):
        a = tf.exp(x)  # @exp
        return tf.reduce_sum(a)  # @sum
    cf = tf.function(f).get_concrete_function(tf.constant([1.0, 2.0]))
    text = str(cf.graph)
    exp_line = next(line for line in text.splitlines() if " exp " in line)
    sum_line = next(line for line in text.splitlines() if "reduce_sum" in line)
    assert exp_line.endswith(f"# {HERE}:{_line_of(f, '@exp')}")
    assert sum_line.endswith(f"# {HERE}:{_line_of(f, '@sum')}")
    locations = [n.location for n in cf.graph.nodes if n.op.name == "exp"]
    assert locations[0].lineno == _line_of(f, "@exp")
    assert "tf.exp(x)" in locations[0].source


def test_cond_regions_are_indented_with_params_and_yield():
    def f(x, a):
        return tf.cond(x > 0, lambda: x * a, lambda: x)  # @cond
    text = str(tf.function(f, autograph=False).get_concrete_function(
        tf.constant(1.0), tf.constant(2.0)).graph)
    lines = text.splitlines()
    cond_line = next(line for line in lines if " = cond " in line)
    assert cond_line.startswith("  %") and cond_line.rstrip().endswith(
        f"# {HERE}:{_line_of(f, '@cond')}")
    assert re.search(r"= cond %\w+, %x, %a \{", cond_line)
    i = lines.index(cond_line)
    region_heads = [line for line in lines[i + 1:] if re.match(r"    \w+\(.*\) \{$", line)]
    assert len(region_heads) == 2
    for head in region_heads:
        assert re.match(r"    \w+\(%\w+:f32\[\], %\w+:f32\[\]\) \{$", head)
    yields = [line for line in lines if line.strip().startswith("yield ")]
    assert len(yields) == 2 and all(line.startswith("      yield %") for line in yields)
    assert any(re.match(r"      %\w+:f32\[\] = multiply %\w+, %\w+", line) for line in lines)


def test_while_loop_regions_show_loop_vars_and_captures():
    def f(n):
        return tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i),
                             (tf.constant(0), tf.constant(0)))
    cf = tf.function(f, autograph=False).get_concrete_function(tf.constant(5))
    text = str(cf.graph)
    assert re.search(r"%\w+:i32\[\], %\w+:i32\[\] = while_loop 0:i32, 0:i32, %n", text)
    heads = re.findall(r"^    (\w+)\((.*)\) \{$", text, re.M)
    assert len(heads) == 2
    cond_params, body_params = heads[0][1], heads[1][1]
    assert cond_params.count("i32[]") == 3  # i, s and the captured n
    assert body_params.count("i32[]") == 2
    assert "1:i32" in text
    assert text.count("yield") == 2


def test_walk_visits_region_nodes_and_node_count_counts_them():
    def f(x):
        y = x + 1.0
        return tf.cond(y > 0, lambda: tf.exp(y), lambda: -y)
    cf = tf.function(f, autograph=False).get_concrete_function(tf.constant(1.0))
    g = cf.graph
    ops = [n.op.name for n in g.walk()]
    assert "cond" in ops and "exp" in ops and "negative" in ops
    assert "exp" not in [n.op.name for n in g.nodes]
    assert g.node_count() == len(ops) > len(g.nodes)
    cond_node = next(n for n in g.nodes if n.op.name == "cond")
    i = ops.index("cond")
    assert ops[i + 1:i + 1 + cond_node.attrs["then_branch"].node_count()] == [
        n.op.name for n in cond_node.attrs["then_branch"].walk()]


def test_symbolic_tensor_str_and_repr_follow_tf():
    seen = {}

    def f(x):
        y = tf.add(x, x)
        seen["str"], seen["repr"] = str(y), repr(y)
        seen["param"] = str(x)
        return y
    tf.function(f)(tf.ones([2, 2]))
    assert seen["str"] == 'Tensor("add:0", shape=(2, 2), dtype=float32)'
    assert seen["repr"] == "<tf.Tensor 'add:0' shape=(2, 2) dtype=float32>"
    assert seen["param"] == 'Tensor("x:0", shape=(2, 2), dtype=float32)'


def test_symbolic_tensor_names_are_unique_per_op():
    seen = []

    def f(x):
        a = tf.add(x, 1.0)
        b = tf.add(a, 1.0)
        seen.extend([a.name, b.name])
        return b
    tf.function(f)(tf.constant(1.0))
    assert seen == ["add:0", "add_1:0"]
