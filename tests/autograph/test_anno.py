"""AST annotations are keyed by anno.Basic / anno.Static members, not ad-hoc attributes."""
import ast

import pytest

from autograph_jit.autograph import analysis, anno


def test_analysis_annotates_a_loop_with_static_keys():
    fn = ast.parse("def f(x):\n    while x > 0:\n        x = x - 1\n    return x\n").body[0]
    analysis.annotate(fn)
    loop = fn.body[0]
    assert anno.getanno(loop, anno.Static.MODIFIED) == ["x"]
    assert "x" in anno.getanno(loop, anno.Static.LIVE_OUT)
    assert "x" in anno.getanno(loop, anno.Static.LIVE_HEAD)
    assert not [a for a in vars(loop) if a.startswith("ag_")]


def test_a_missing_annotation_raises_without_a_default_and_gives_the_default_with_one():
    node = ast.Pass()
    with pytest.raises(KeyError, match="GENERATED"):
        anno.getanno(node, anno.Basic.GENERATED)
    assert anno.getanno(node, anno.Basic.GENERATED, False) is False
    anno.setanno(node, anno.Basic.GENERATED, True)
    assert anno.hasanno(node, anno.Basic.GENERATED)
    anno.delanno(node, anno.Basic.GENERATED)
    assert not anno.hasanno(node, anno.Basic.GENERATED)


def test_annotation_keys_must_be_enum_members():
    with pytest.raises(TypeError, match="anno.Basic"):
        anno.setanno(ast.Pass(), "ag_generated", True)
