"""``hash_bucket``: FarmHash ``Fingerprint64`` of integers' decimal strings
(TensorFlow's ``to_hash_bucket_fast``, which Keras's ``Hashing`` uses), in
the reference and in native code, against fingerprints computed with
Google's FarmHash (the pyfarmhash bindings) for every string length an
int64 can have."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph.ops import hashing

# farmhash.fingerprint64(str(v)) from pyfarmhash 0.5.1.
FINGERPRINTS = {
    0: 15198969275252572735,
    7: 9813730750082856088,
    -7: 9381026191229130062,
    42: 623910487284905736,
    1234: 882600748797058222,
    -98765: 11782701657281455550,
    12345678: 3430003927990384362,
    -123456789: 6422779048240701792,
    2**31 - 1: 10309489266630760757,
    -(2**31): 6520386892892340469,
    10**15: 1110692134206295938,
    -(10**16): 182040220107549313,
    2**63 - 1: 12739833532913062319,
    -(2**63): 1493431938208774112,
}
# Keras's Hashing docstring: "A".."E" into 3 bins give 1, 0, 1, 1, 2.
LETTERS = {
    "A": 16915294056622060564,
    "B": 8703560047562643528,
    "C": 5321185358318388007,
    "D": 17755648460348775295,
    "E": 4541520914757299012,
}


def test_fingerprint64_matches_farmhash():
    for value, expected in FINGERPRINTS.items():
        assert hashing.fingerprint64(str(value).encode()) == expected
    for letter, expected in LETTERS.items():
        assert hashing.fingerprint64(letter.encode()) == expected
    assert [hashing.fingerprint64(c.encode()) % 3 for c in "ABCDE"] == [1, 0, 1, 1, 2]


def test_siphash_matches_the_reference_vectors_and_keras():
    # SipHash-2-4's paper: key 00..0f, messages 00..0e and empty.
    key = (0x0706050403020100, 0x0F0E0D0C0B0A0908)
    assert hashing.siphash(key, bytes(range(15))) == 0xA129CA6149BE45E5
    assert hashing.siphash(key, b"") == 0x726FDB47DD0E0E31
    # Keras's Hashing docstring: salt [133, 137] and 133 on "A".."E", 3 bins.
    letters = [c.encode() for c in "ABCDE"]
    assert [hashing.siphash((133, 137), t) % 3 for t in letters] == [1, 2, 1, 0, 2]
    assert [hashing.siphash((133, 133), t) % 3 for t in letters] == [0, 0, 2, 1, 0]


def test_keyed_hash_bucket_in_a_model_on_both_backends(rng, backend):
    del backend
    values = (
        rng.integers(-(2**62), 2**62, size=(2, 40)) >> rng.integers(0, 62, size=(2, 40))
    ).astype("int64")
    values[0, :4] = [0, -(2**63), 2**63 - 1, -5]
    key = (133, 2**64 - 5)
    reference = np.vectorize(lambda v: hashing.siphash(key, str(int(v)).encode()) % 97)(
        values
    )
    x = kg.Input(shape=(40,), dtype="int64")
    got = kg.Model(x, kg.ops.hash_bucket(x, 97, key=key)).predict(values, verbose=0)
    np.testing.assert_array_equal(got, reference)


def test_fingerprint64_rejects_other_lengths():
    with pytest.raises(ValueError, match=r"1 to 32 bytes"):
        hashing.fingerprint64(b"")


@pytest.mark.parametrize("bins", [1, 7, 1000003])
def test_hash_bucket_eager(bins):
    values = np.array(list(FINGERPRINTS), dtype=np.int64)
    expected = [FINGERPRINTS[int(v)] % bins for v in values]
    np.testing.assert_array_equal(hashing.hash_bucket(values, bins).numpy(), expected)


def test_hash_bucket_in_a_model_on_both_backends(backend):
    del backend
    values = np.array(list(FINGERPRINTS), dtype=np.int64)
    x = kg.Input(shape=(values.size,), dtype="int64")
    model = kg.Model(x, kg.ops.hash_bucket(x, 1000003))
    got = model.predict(values[None], verbose=0)[0]
    np.testing.assert_array_equal(got, [FINGERPRINTS[int(v)] % 1000003 for v in values])


def test_hash_bucket_of_int32_and_many_lengths(rng, backend):
    del backend
    values = (
        rng.integers(-(2**31), 2**31 - 1, size=(3, 64))
        >> rng.integers(0, 31, size=(3, 64))
    ).astype("int32")
    reference = np.vectorize(
        lambda v: hashing.fingerprint64(str(int(v)).encode()) % 11
    )(values)
    x = kg.Input(shape=(64,), dtype="int32")
    got = kg.Model(x, kg.ops.hash_bucket(x, 11)).predict(values, verbose=0)
    np.testing.assert_array_equal(got, reference)


def test_hash_bucket_refuses_floats_and_no_bins():
    with pytest.raises(Exception, match=r"must be integers"):
        hashing.hash_bucket(np.array([1.5]), 3)
    with pytest.raises(Exception, match=r"num_bins must be positive"):
        hashing.hash_bucket(np.array([1]), 0)
