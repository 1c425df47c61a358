"""The doctested examples of the Keras metric classes built by factories (regression.py's
`_wrapper`, confusion.py's `_single_count`), keyed by class name (`with_example`)."""

EXAMPLES = {'BinaryCrossentropy': '>>> m = tf.keras.metrics.BinaryCrossentropy()\n'
                       '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])\n'
                       '>>> round(float(m.result()), 4)\n'
                       '0.8149',
 'CategoricalCrossentropy': '>>> m = tf.keras.metrics.CategoricalCrossentropy()\n'
                            '>>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0.0], '
                            '[0.1, 0.8, 0.1]])\n'
                            '>>> round(float(m.result()), 4)\n'
                            '1.1769',
 'CategoricalHinge': '>>> m = tf.keras.metrics.CategoricalHinge()\n'
                     '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])\n'
                     '>>> round(float(m.result()), 4)\n'
                     '1.4',
 'CosineSimilarity': '>>> m = tf.keras.metrics.CosineSimilarity(axis=1)\n'
                     '>>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])\n'
                     '>>> round(float(m.result()), 4)\n'
                     '0.5',
 'FalseNegatives': '>>> m = tf.keras.metrics.FalseNegatives()\n'
                   '>>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])\n'
                   '>>> round(float(m.result()), 4)\n'
                   '2.0',
 'FalsePositives': '>>> m = tf.keras.metrics.FalsePositives()\n'
                   '>>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])\n'
                   '>>> round(float(m.result()), 4)\n'
                   '2.0',
 'Hinge': '>>> m = tf.keras.metrics.Hinge()\n'
          '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])\n'
          '>>> round(float(m.result()), 4)\n'
          '1.3',
 'KLDivergence': '>>> m = tf.keras.metrics.KLDivergence()\n'
                 '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])\n'
                 '>>> round(float(m.result()), 4)\n'
                 '0.4581',
 'LogCoshError': '>>> m = tf.keras.metrics.LogCoshError()\n'
                 '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])\n'
                 '>>> round(float(m.result()), 4)\n'
                 '0.2169',
 'MeanAbsoluteError': '>>> m = tf.keras.metrics.MeanAbsoluteError()\n'
                      '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])\n'
                      '>>> round(float(m.result()), 4)\n'
                      '0.5',
 'MeanAbsolutePercentageError': '>>> m = tf.keras.metrics.MeanAbsolutePercentageError()\n'
                                '>>> m.update_state([[2.0, 4.0]], [[1.0, 5.0]])\n'
                                '>>> round(float(m.result()), 4)\n'
                                '37.5',
 'MeanSquaredError': '>>> m = tf.keras.metrics.MeanSquaredError()\n'
                     '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])\n'
                     '>>> round(float(m.result()), 4)\n'
                     '0.5',
 'MeanSquaredLogarithmicError': '>>> m = tf.keras.metrics.MeanSquaredLogarithmicError()\n'
                                '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, '
                                '0.0]])\n'
                                '>>> round(float(m.result()), 4)\n'
                                '0.2402',
 'Poisson': '>>> m = tf.keras.metrics.Poisson()\n'
            '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])\n'
            '>>> round(float(m.result()), 4)\n'
            '0.75',
 'SparseCategoricalCrossentropy': '>>> m = tf.keras.metrics.SparseCategoricalCrossentropy()\n'
                                  '>>> m.update_state([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, '
                                  '0.1]])\n'
                                  '>>> round(float(m.result()), 4)\n'
                                  '1.1769',
 'SquaredHinge': '>>> m = tf.keras.metrics.SquaredHinge()\n'
                 '>>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])\n'
                 '>>> round(float(m.result()), 4)\n'
                 '1.86',
 'TrueNegatives': '>>> m = tf.keras.metrics.TrueNegatives()\n'
                  '>>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])\n'
                  '>>> round(float(m.result()), 4)\n'
                  '2.0',
 'TruePositives': '>>> m = tf.keras.metrics.TruePositives()\n'
                  '>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])\n'
                  '>>> round(float(m.result()), 4)\n'
                  '2.0'}


def with_example(cls_name, doc):
    """`doc` followed by the class's example, when it has one."""
    example = EXAMPLES.get(cls_name)
    return f"{doc}\n\n{example}\n" if example else doc
