#!/usr/bin/env python3
"""Key-format test vectors from an independent implementation (bittensor-wallet).

The Rust tests in operator/tests/key_vectors.rs read the committed output,
tests/vectors/keys.json, and check that tensorfleet derives the same addresses
and decrypts the same `$NACL` keyfile. Every key here is a throwaway test key.

Regenerate (from the repository root):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install bittensor-wallet==4.1.1
    /tmp/venv/bin/python tests/vectors/gen_keys.py --out tests/vectors/keys.json

(bittensor-wallet prints progress on stdout, so the JSON goes to a file.)

The `$NACL` encryption uses Argon2i with libsodium's "sensitive" limits
(512 MiB, 8 passes): expect a few seconds and half a GiB of memory.

Check that a keyfile written by tensorfleet loads in bittensor-wallet:

    /tmp/venv/bin/python tests/vectors/gen_keys.py --load PATH [--password PW]

prints the keyfile's ss58 address as bittensor-wallet reads it.
"""

import argparse
import json
import secrets
import sys

import bittensor_wallet
from bittensor_wallet import Keypair
from bittensor_wallet.keyfile import (
    decrypt_keyfile_data,
    deserialize_keypair_from_keyfile_data,
    encrypt_keyfile_data,
    keyfile_data_is_encrypted_nacl,
    serialized_keypair_to_keyfile_data,
)

PINNED = "4.1.1"


def load(path, password):
    data = open(path, "rb").read()
    if keyfile_data_is_encrypted_nacl(data):
        data = decrypt_keyfile_data(data, password=password)
    print(deserialize_keypair_from_keyfile_data(data).ss58_address)


def generate():
    mnemonic = Keypair.generate_mnemonic(12)
    from_mnemonic = Keypair.create_from_mnemonic(mnemonic)

    # A seed whose bytes are not valid UTF-8: bittensor-wallet writes `secretSeed`
    # as text when the raw bytes happen to decode, so keep to the common case.
    while True:
        seed = secrets.token_bytes(32)
        try:
            seed.decode("utf-8")
        except UnicodeDecodeError:
            break
    from_seed = Keypair.create_from_seed("0x" + seed.hex())

    hot = Keypair.create_from_mnemonic(Keypair.generate_mnemonic(12))
    hotkey_keyfile = serialized_keypair_to_keyfile_data(hot).decode()

    cold = Keypair.create_from_mnemonic(Keypair.generate_mnemonic(12))
    password = "tf-test-" + secrets.token_hex(8)
    encrypted = encrypt_keyfile_data(serialized_keypair_to_keyfile_data(cold), password)
    assert encrypted.startswith(b"$NACL")

    return {
        "generator": "tests/vectors/gen_keys.py",
        "bittensor_wallet_version": bittensor_wallet.__version__,
        "note": "throwaway test keys; never fund them",
        "mnemonic": {"phrase": mnemonic, "ss58": from_mnemonic.ss58_address},
        "seed": {"hex": "0x" + seed.hex(), "ss58": from_seed.ss58_address},
        "hotkey_keyfile": {"json": hotkey_keyfile, "ss58": hot.ss58_address},
        "nacl_coldkey": {
            # Raw bytes are not text: hex of the whole file, `$NACL` prefix included.
            "file_hex": encrypted.hex(),
            "password": password,
            "ss58": cold.ss58_address,
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--load", metavar="PATH", help="print the ss58 of this keyfile")
    ap.add_argument("--password", help="password of an encrypted --load keyfile")
    ap.add_argument("--out", default="tests/vectors/keys.json", help="where to write vectors")
    args = ap.parse_args()
    if bittensor_wallet.__version__ != PINNED:
        sys.exit(f"bittensor-wallet {PINNED} required, found {bittensor_wallet.__version__}")
    if args.load:
        load(args.load, args.password)
    else:
        vectors = generate()
        with open(args.out, "w") as f:
            json.dump(vectors, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
