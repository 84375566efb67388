"""Writing outputs atomically: into a temporary file in the same directory, then
``os.replace``, so that a crash or a full disk never leaves a truncated or empty file where
the previous one was."""
import os
import secrets


def write_atomic(path, chunks):
    """Write ``chunks`` (a string, or an iterable of strings) as UTF-8 to ``path``; return the
    number of bytes written. Raises OSError (the temporary file is removed)."""
    if isinstance(chunks, str):
        chunks = (chunks,)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    try:
        # 0o666 less the umask, as a plain open() would create it.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        # backslashreplace: a lone surrogate (e.g. from an undecodable file name) is written
        # as its escape instead of failing the write.
        with open(descriptor, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
            size = os.fstat(handle.fileno()).st_size
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise
    return size
