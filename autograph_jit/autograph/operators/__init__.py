"""The runtime operators converted code calls, as the namespace `ag__`: each decides, on the
values it gets, between Python semantics (at trace time) and graph ops."""
from .calls import converted_call  # noqa: F401
from .conditionals import if_exp, if_stmt  # noqa: F401
from .exceptions import assert_stmt, raise_stmt  # noqa: F401
from .lists import list_append  # noqa: F401
from .logical import and_, not_, or_  # noqa: F401
from .loops import for_stmt, while_stmt  # noqa: F401
from .variables import Undefined, UndefinedReturnValue, get_attr, ld, retval, set_attr  # noqa: F401
