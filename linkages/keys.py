"""Secret keys from configuration, never from the repository: an environment variable, else a
random key made once in a file under ``var/`` that only its owner may read (mode 0600), so that
every process of one install (the web server, the command line) shares it.

* ``LINKAGES_SECRET_KEY`` / ``var/secret_key``: signs the web app's session cookies.
* ``LINKAGES_TOTP_KEY`` / ``var/totp_key``: encrypts the two-factor (TOTP) secrets at rest.
  Several keys separated by commas rotate it: the first encrypts, any of them decrypts.
* ``LINKAGES_PSEUDONYM_KEY`` / ``var/pseudonym_key``: keys the HMAC-SHA256 pseudonyms of
  cohort exports. The same key gives the same pseudonyms in every export; a new key gives
  pseudonyms that cannot be linked to the earlier ones.

Losing a key file loses what it protects: sessions end, TOTP secrets cannot be read (users set
two-factor sign-in up again), and later exports no longer link to earlier ones. Back the files
up with the database, and keep them out of it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import stat
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from linkages.config import var_dir

MIN_KEY_LENGTH = 32


class KeyFileError(RuntimeError):
    """A key file is unusable: readable by others, or empty."""


def configured_key(env: str, filename: str) -> str:
    """The key in ``env``, else the one kept in ``var/<filename>`` (made on first use)."""
    value = os.environ.get(env)
    if value:
        return value
    path = var_dir() / filename
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"{path} is readable by other users (mode {mode:o}): run `chmod 600 {path}`"
            ) from None
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_KEY_LENGTH:
            raise KeyFileError(f"{path} holds no usable key: delete it to make a new one") from None
        return key
    with os.fdopen(fd, "w", encoding="ascii") as out:
        key = secrets.token_hex(32)
        out.write(key + "\n")
    return key


def _derived(material: str, purpose: bytes) -> bytes:
    """32 bytes for one purpose from a configured key (HKDF-SHA256), so one key string can
    never serve two purposes by mistake."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"linkages " + purpose).derive(material.encode())


@cache
def _fernet(material: str) -> MultiFernet:
    keys = [k.strip() for k in material.split(",") if k.strip()]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derived(k, b"totp secrets")))
                        for k in keys])


def totp_cipher() -> MultiFernet:
    """Encrypts and decrypts TOTP secrets (the first configured key encrypts)."""
    return _fernet(configured_key("LINKAGES_TOTP_KEY", "totp_key"))


def pseudonym_key() -> bytes:
    """The HMAC key of export pseudonyms."""
    return _derived(configured_key("LINKAGES_PSEUDONYM_KEY", "pseudonym_key"), b"pseudonyms")


def key_id(key: bytes) -> str:
    """A short public fingerprint of a key: two exports with the same key id have linkable
    pseudonyms. It reveals nothing of the key."""
    return hashlib.sha256(b"linkages key id\0" + key).hexdigest()[:12]
