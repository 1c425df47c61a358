"""The programs that docs/inside-the-compiler.md shows going through the compiler (its output is
generated from this very file, so the line numbers in the page are this file's)."""
import autograph_jit as tf

w = tf.Variable(tf.random.normal([4, 3], seed=1), name="w")
b = tf.Variable(tf.zeros([3]), name="b")


@tf.function
def dense_layer(x):
    h = tf.nn.relu(tf.matmul(x, w) + b)
    return tf.reduce_sum(tf.tanh(h) * 2.0 + 1.0)


@tf.function
def collatz(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps
