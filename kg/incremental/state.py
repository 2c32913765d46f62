"""Files of the previous build's state: sealed so that nothing planted in them is ever run,
and the one stat type that says whether a file is as it was.

The state is pickled (records and layouts load fast that way), and a pickle runs code when it
loads. An output folder is committed, shared and downloaded, so every state file carries an
HMAC of its bytes under a key that lives outside it, in the user's cache folder; a file whose
HMAC does not check out is never unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..fileio import atomic_path

MAGIC = b"kg-state-1\n"
KEY_ENV = "KG_STATE_KEY_DIR"  # where the key lives, when not in the user's cache folder

# (size, mtime_ns, ctime_ns, inode): ctime changes on every write, even when mtime is put back.
Signature = tuple[int, int, int, int]
# As git does with its index, a stat stands for a file's content only when its times were at
# least this old when it was taken: a write in the same clock tick cannot go unseen.
RACY_NS = 2_000_000_000


class Unsealed(Exception):
    """A state file that is damaged or was not written by kg with this user's key."""


def signature(path: Path) -> Signature | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def signatures(path: Path) -> object:
    """A file's signature; for a folder (the store), that of each file in it."""
    if path.is_dir():
        return tuple(sorted((child.name, signature(child)) for child in path.iterdir()))
    return signature(path)


@dataclass(frozen=True, slots=True)
class Stats:
    """The stat of each of a build's input files, and when they were taken."""

    taken_ns: int
    signatures: list[Signature | None]

    def trusted(self) -> list[Signature | None]:
        """Each signature if its file's times were old enough to stand for the content."""
        return [None if sig is None or max(sig[1], sig[2]) > self.taken_ns - RACY_NS else sig
                for sig in self.signatures]


def stat_all(paths: list[Path]) -> Stats:
    taken = time.time_ns()
    return Stats(taken, [signature(path) for path in paths])


@cache
def code_fingerprint() -> str:
    """A hash of kg's own code and data files: any change to them voids the state."""
    package = Path(__file__).parent.parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".yaml", ".ttl", ".html", ".css", ".js"} and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _key_file() -> Path:
    folder = os.environ.get(KEY_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kg")
    return Path(folder) / "state.key"


@cache
def _key(create: bool) -> bytes | None:
    path = _key_file()
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    if not create:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # readable by its owner only
        try:
            os.write(fd, secrets.token_bytes(32))
            os.fsync(fd)
            os.close(fd)
            # A link fails where the key exists: two builds making one at once agree on it.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
        _key.cache_clear()
        return _key(False)
    except OSError:  # no writable cache folder: builds work, just without their state
        return None


def seal(target: Path, value: object) -> None:
    """Write `value` to `target` with its HMAC, replacing it atomically."""
    key = _key(True)
    if key is None:
        return
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        handle.write(MAGIC + hmac.digest(key, data, "sha256"))
        handle.write(data)
    os.chmod(target, 0o600)


def unseal(path: Path) -> object | None:
    """What `seal` wrote to `path`; None when there is no such file; Unsealed when its bytes
    are not what kg sealed with this user's key (then nothing of it is unpickled)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    key = _key(False)
    mac, body = data[len(MAGIC):len(MAGIC) + 32], data[len(MAGIC) + 32:]
    if (key is None or not data.startswith(MAGIC)
            or not hmac.compare_digest(mac, hmac.digest(key, body, "sha256"))):
        raise Unsealed(f"{path} was not written by kg for this user, or is damaged")
    try:
        return pickle.loads(body)
    except Exception as exc:  # sealed by another kg version whose classes differ
        raise Unsealed(f"{path} is from another version of kg") from exc
