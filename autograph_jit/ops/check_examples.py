"""The doctested examples of the `tf.debugging.assert_*` checks that check_ops.py builds with
its factories, keyed by name (appended to each check's docstring)."""

EXAMPLES = {'assert_equal': '    >>> tf.debugging.assert_equal(tf.constant([1, 2]), [1, 2])\n'
                 '    >>> try:\n'
                 '    ...     tf.debugging.assert_equal(tf.constant([1, 2]), [1, 3])\n'
                 '    ... except tf.errors.InvalidArgumentError as e:\n'
                 '    ...     print(type(e).__name__)\n'
                 '    AssertionFailedError\n',
 'assert_greater': '    >>> tf.debugging.assert_greater(tf.constant([2, 3]), 1)\n'
                   '    >>> try:\n'
                   '    ...     tf.debugging.assert_greater(tf.constant([2, 3]), 2)\n'
                   '    ... except tf.errors.InvalidArgumentError as e:\n'
                   '    ...     print(type(e).__name__)\n'
                   '    AssertionFailedError\n',
 'assert_greater_equal': '    >>> tf.debugging.assert_greater_equal(tf.constant([2, 3]), 2)\n',
 'assert_less': '    >>> tf.debugging.assert_less(tf.constant([1, 2]), 3)\n',
 'assert_less_equal': '    >>> tf.debugging.assert_less_equal(tf.constant([1, 3]), 3)\n',
 'assert_negative': '    >>> tf.debugging.assert_negative(tf.constant([-1.0, -2.0]))\n',
 'assert_non_negative': '    >>> tf.debugging.assert_non_negative(tf.constant([0.0, 2.0]))\n',
 'assert_non_positive': '    >>> tf.debugging.assert_non_positive(tf.constant([0.0, -2.0]))\n',
 'assert_none_equal': '    >>> tf.debugging.assert_none_equal(tf.constant([1, 2]), [3, 4])\n',
 'assert_positive': '    >>> tf.debugging.assert_positive(tf.constant([1.0, 2.0]))\n'
                    '    >>> try:\n'
                    '    ...     tf.debugging.assert_positive(tf.constant([1.0, -2.0]))\n'
                    '    ... except tf.errors.InvalidArgumentError as e:\n'
                    '    ...     print(type(e).__name__)\n'
                    '    AssertionFailedError\n'}
