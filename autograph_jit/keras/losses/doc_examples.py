"""The doctested examples of the built-in Keras loss classes, keyed by class name: loss.py's
`_loss_class` appends each to the class's docstring (`with_example`)."""

EXAMPLES = {'BinaryCrossentropy': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
                       '>>> loss = tf.keras.losses.BinaryCrossentropy()\n'
                       '>>> round(float(loss(y_true, y_pred)), 4)\n'
                       '0.8149',
 'CategoricalCrossentropy': '>>> y_true, y_pred = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, '
                            '0.95, 0.0], [0.1, 0.8, 0.1]]\n'
                            '>>> loss = tf.keras.losses.CategoricalCrossentropy()\n'
                            '>>> round(float(loss(y_true, y_pred)), 4)\n'
                            '1.1769',
 'CategoricalHinge': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
                     '>>> loss = tf.keras.losses.CategoricalHinge()\n'
                     '>>> round(float(loss(y_true, y_pred)), 4)\n'
                     '1.4',
 'CosineSimilarity': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
                     '>>> loss = tf.keras.losses.CosineSimilarity(axis=1)\n'
                     '>>> round(float(loss(y_true, y_pred)), 4)\n'
                     '-0.2774',
 'Hinge': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
          '>>> loss = tf.keras.losses.Hinge()\n'
          '>>> round(float(loss(y_true, y_pred)), 4)\n'
          '1.3',
 'Huber': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
          '>>> loss = tf.keras.losses.Huber(delta=1.0)\n'
          '>>> round(float(loss(y_true, y_pred)), 4)\n'
          '0.155',
 'KLDivergence': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
                 '>>> loss = tf.keras.losses.KLDivergence()\n'
                 '>>> round(float(loss(y_true, y_pred)), 4)\n'
                 '0.4581',
 'LogCosh': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
            '>>> loss = tf.keras.losses.LogCosh()\n'
            '>>> round(float(loss(y_true, y_pred)), 4)\n'
            '0.1471',
 'MeanAbsoluteError': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
                      '>>> loss = tf.keras.losses.MeanAbsoluteError()\n'
                      '>>> round(float(loss(y_true, y_pred)), 4)\n'
                      '0.55',
 'MeanAbsolutePercentageError': '>>> loss = tf.keras.losses.MeanAbsolutePercentageError()\n'
                                '>>> round(float(loss([[2.0, 4.0]], [[1.0, 5.0]])), 4)\n'
                                '37.5',
 'MeanSquaredError': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
                     '>>> loss = tf.keras.losses.MeanSquaredError()\n'
                     '>>> round(float(loss(y_true, y_pred)), 4)\n'
                     '0.31',
 'MeanSquaredLogarithmicError': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], '
                                '[0.4, 0.6]]\n'
                                '>>> loss = tf.keras.losses.MeanSquaredLogarithmicError()\n'
                                '>>> round(float(loss(y_true, y_pred)), 4)\n'
                                '0.1706',
 'Poisson': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
            '>>> loss = tf.keras.losses.Poisson()\n'
            '>>> round(float(loss(y_true, y_pred)), 4)\n'
            '0.7291',
 'SparseCategoricalCrossentropy': '>>> loss = tf.keras.losses.SparseCategoricalCrossentropy()\n'
                                  '>>> round(float(loss([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, '
                                  '0.1]])), 4)\n'
                                  '1.1769\n'
                                  '>>> logits = '
                                  'tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n'
                                  '>>> round(float(logits([0], [[2.0, 0.0]])), 4)\n'
                                  '0.1269',
 'SquaredHinge': '>>> y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]\n'
                 '>>> loss = tf.keras.losses.SquaredHinge()\n'
                 '>>> round(float(loss(y_true, y_pred)), 4)\n'
                 '1.86'}


def with_example(cls_name, doc):
    """`doc` followed by the class's example, when it has one."""
    example = EXAMPLES.get(cls_name)
    return f"{doc}\n\n{example}\n" if example else doc
