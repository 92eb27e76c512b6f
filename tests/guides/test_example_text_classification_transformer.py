"""The keras.io example "Text classification with Transformer", as a kgraph
program (``import kgraph as keras``).

Changed, and why: the IMDB reviews are replaced by generated token
sequences whose label says whether the "positive" tokens outnumber the
"negative" ones (a bag-of-words rule a Transformer block learns quickly);
the vocabulary, sequence length and number of sequences are small so the
test trains in seconds, for 3 epochs instead of 2 on 25,000 reviews.
"""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers
from kgraph import ops


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def reviews(n: int, vocab_size: int, maxlen: int, seed: int):
    """Token sequences (padded in front with 0, as ``pad_sequences`` does)
    and labels: 1 when tokens 2-9 outnumber tokens 10-17."""
    rng = np.random.default_rng(seed)
    sequences = []
    labels = np.zeros(n, "int64")
    for i in range(n):
        length = rng.integers(maxlen // 2, maxlen + 8)
        tokens = rng.integers(18, vocab_size, size=length)
        positive = rng.integers(0, 6)
        negative = rng.integers(0, 6)
        spots = rng.choice(length, size=positive + negative, replace=False)
        tokens[spots[:positive]] = rng.integers(2, 10, size=positive)
        tokens[spots[positive:]] = rng.integers(10, 18, size=negative)
        sequences.append(tokens.tolist())
        labels[i] = int(positive > negative)
    return sequences, labels


def test_text_classification_with_transformer(backend):
    vocab_size = 200  # Only consider the top 200 words
    maxlen = 24  # Only consider the first 24 words of each review
    n = 512 if backend == "llvm" else 128
    x_train, y_train = reviews(n, vocab_size, maxlen, seed=0)
    x_val, y_val = reviews(128, vocab_size, maxlen, seed=1)
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)

    embed_dim = 32  # Embedding size for each token
    num_heads = 2  # Number of attention heads
    ff_dim = 32  # Hidden layer size in feed forward network inside transformer

    inputs = layers.Input(shape=(maxlen,))
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=3,
        validation_data=(x_val, y_val),
        verbose=0,
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    if backend == "llvm":
        assert history.history["val_accuracy"][-1] > 0.7
    predictions = model.predict(x_val[:4], verbose=0)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
