"""Conversion of one Python function object: source (inspect/linecache, so REPL and notebook
cells work), parse, transform, compile, cache.

The converted AST keeps the user's line and column numbers and is compiled under the user's
filename, so every frame of converted code — in tracebacks, in graph node locations, in error
messages — shows the user's own file, line and source text, never generated code.

The converted function is compiled inside a factory `def ag__factory(ag__, <free vars>)` and
rebuilt with the original function's globals, defaults and closure cells, so closures and
nested functions see the same variables as the original. Results are cached per code object
(the compiled factory) and per function object (the rebuilt function).
"""
import ast
import inspect
import textwrap
import types
import weakref

from ..errors import ConversionError, NotConverted
from . import anno, origin, source_text, transformer


_BY_CODE = {}                                # code -> (factory code, converted AST)
_BY_FUNCTION = weakref.WeakKeyDictionary()   # function -> converted function
_CONVERTED_CODES = set()                     # every code object produced by conversion


def is_converted(fn):
    code = getattr(fn, "__code__", None)
    return code is not None and code in _CONVERTED_CODES


def convert(fn):
    """The converted version of the plain function `fn` (raises ConversionError)."""
    if is_converted(fn):
        return fn
    hit = _BY_FUNCTION.get(fn)
    if hit is not None:
        return hit
    factory_code, _ = _convert_code(fn)
    new = _instantiate(fn, factory_code)
    try:
        _BY_FUNCTION[fn] = new
    except TypeError:
        pass
    return new


def converted_source(fn):
    """The converted source text of `fn` (for to_code), rendered on first request."""
    _, node = _convert_code(fn)
    text = anno.getanno(node, anno.Basic.SOURCE_TEXT, None)
    if text is None:
        text = source_text.to_source(node, fn.__code__.co_filename)
        anno.setanno(node, anno.Basic.SOURCE_TEXT, text)
    return text


def _convert_code(fn):
    code = fn.__code__
    hit = _BY_CODE.get(code)
    if hit is None:
        hit = _BY_CODE[code] = _compile(fn)
    return hit


def _source(fn):
    try:  # from the code object: a functools.wraps wrapper must not yield the wrapped source
        lines, start = inspect.getsourcelines(fn.__code__)
    except (OSError, TypeError) as e:
        raise ConversionError(f"no source code for {fn.__qualname__}: {e}") from None
    return lines, max(start, 1)


def _parse(lines):
    src = textwrap.dedent("".join(lines))
    indent = len(lines[0]) - len(lines[0].lstrip()) if src.strip() else 0
    try:
        return ast.parse(src), indent
    except SyntaxError:
        pass
    # a lambda inside a larger expression: trim the tail until the rest parses
    for cut in range(1, min(len(src), 400)):
        try:
            return ast.parse(src[:-cut]), indent
        except SyntaxError:
            continue
    raise ConversionError("could not parse the source code")


def _find(tree, code):
    if code.co_name == "<lambda>":
        lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        argnames = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
        same = [n for n in lambdas if [a.arg for a in n.args.args + n.args.kwonlyargs]
                == argnames]
        positions = [(ln, col) for ln, _, col, _ in code.co_positions()
                     if ln is not None and col is not None]
        for n in same:
            lo = (n.body.lineno, n.body.col_offset)
            hi = (n.body.end_lineno, n.body.end_col_offset)
            if any(lo <= p < hi for p in positions):
                return n
        if same:
            return same[0]
        raise ConversionError("could not find the lambda in its source line")
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == code.co_name:
            return n
    raise ConversionError(f"could not find the definition of {code.co_name}")


def _relocate(tree, start, indent):
    ast.increment_lineno(tree, start - 1)
    if indent:
        for n in ast.walk(tree):
            if "col_offset" in n._attributes and getattr(n, "col_offset", None) is not None:
                n.col_offset += indent
                if getattr(n, "end_col_offset", None) is not None and \
                        n.end_lineno == n.lineno:
                    n.end_col_offset += indent


def _compile(fn):
    code = fn.__code__
    if code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE |
                        inspect.CO_ASYNC_GENERATOR):
        raise NotConverted(f"{fn.__qualname__} is a generator or coroutine")
    lines, start = _source(fn)
    tree, indent = _parse(lines)
    _relocate(tree, start, indent)
    node = _find(tree, code)
    if isinstance(node, ast.AsyncFunctionDef):
        raise NotConverted(f"{fn.__qualname__} is a coroutine")
    if isinstance(node, ast.FunctionDef):
        node.decorator_list = []
        node.returns = None
        _strip_signature(node.args)
    else:
        _strip_signature(node.args)
    ctx = transformer.Context(node, code.co_filename, lines)
    transformer.transform(node, ctx)
    if isinstance(node, ast.FunctionDef):
        # inside the factory the def must not bind the user's name (a recursive call of a
        # global function would find the factory's local); the code is renamed back later
        node.name = "ag__converted"
    freevars = list(code.co_freevars)
    args = [ast.arg(arg=a) for a in ["ag__"] + freevars]
    ret = ast.Return(value=ast.Name(id=node.name, ctx=ast.Load())) if isinstance(
        node, ast.FunctionDef) else ast.Return(value=node)
    body = [node, ret] if isinstance(node, ast.FunctionDef) else [ret]
    factory = ast.FunctionDef(
        name="ag__factory", args=ast.arguments(posonlyargs=[], args=args, vararg=None,
                                              kwonlyargs=[], kw_defaults=[], kwarg=None,
                                              defaults=[]),
        body=body, decorator_list=[], returns=None, type_comment=None)
    ast.copy_location(factory, node)
    ast.copy_location(ret, node)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    try:
        compiled = compile(module, code.co_filename, "exec")
    except SyntaxError as e:
        raise ConversionError(f"converted code does not compile: {e}") from None
    factory_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    factory_code = _rename_generated(factory_code, code.co_name, code.co_qualname,
                                     frozenset(ctx.generated))
    _register(factory_code, code.co_name, frozenset(ctx.generated))
    if isinstance(node, ast.FunctionDef):
        node.name = code.co_name
    return factory_code, node


def _strip_signature(args):
    """Annotations and default expressions are not re-evaluated: the original function's
    defaults are reattached to the converted one."""
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            a.annotation = None
    args.defaults = [ast.Constant(value=None) for _ in args.defaults]
    args.kw_defaults = [None if d is None else ast.Constant(value=None)
                        for d in args.kw_defaults]


def _rename_generated(code, user_name, user_qualname, generated):
    """`code` with the helpers AutoGraph generated (`loop_body`, `if_body_1`, ...) renamed to
    the user function they come from, so a Python traceback through converted code names only
    the user's functions."""
    consts = []
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            if c.co_name in generated:
                c = _rename_generated(c, user_name, user_qualname, generated)
                c = c.replace(co_name=user_name, co_qualname=user_qualname)
            else:
                name = c.co_name if c.co_name != "ag__converted" else user_name
                c = _rename_generated(c, name, c.co_qualname, generated)
        consts.append(c)
    return code.replace(co_consts=tuple(consts))


def _register(code, user_name=None, generated=frozenset()):
    """Record every code object of the converted function; AutoGraph's helper functions are
    reported (origin.py) as the user function they were generated in."""
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _CONVERTED_CODES.add(c)
            if user_name is not None and c.co_name == user_name:  # a renamed helper
                origin.register_code(c, user_name)
                _register(c, user_name, generated)
            else:
                name = c.co_name if c.co_name != "ag__converted" else user_name
                _register(c, name, generated)


def _instantiate(fn, factory_code):
    from . import operators
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    factory = types.FunctionType(factory_code, fn.__globals__, "ag__factory")
    inner = factory(operators, *[None] * len(fn.__code__.co_freevars))
    ag_cell = types.CellType(operators)
    closure = tuple(cells[name] if name in cells else ag_cell
                    for name in inner.__code__.co_freevars)
    inner_code = inner.__code__.replace(co_name=fn.__code__.co_name,
                                        co_qualname=fn.__code__.co_qualname)
    _CONVERTED_CODES.add(inner_code)
    new = types.FunctionType(inner_code, fn.__globals__, fn.__name__, fn.__defaults__,
                             closure or None)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    new.__module__ = fn.__module__
    new.__doc__ = fn.__doc__
    new.__dict__.update(fn.__dict__)
    new.ag_original = fn
    return new
