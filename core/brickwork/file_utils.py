"""``brickwork.utils.get_file``: download a file once into a cache, check its
hash, and unpack zip and tar archives, as ``keras.utils.get_file`` does."""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from brickwork.progbar import Progbar, print_msg

_CHUNK = 65536


def brickwork_home():
    """The cache's base folder: ``$BRICKWORK_HOME``, else ``$KERAS_HOME``,
    else ``~/.keras`` (shared with Keras, so data sets downloaded by either
    are found by both)."""
    for variable in ("BRICKWORK_HOME", "KERAS_HOME"):
        value = os.environ.get(variable)
        if value:
            return value
    return os.path.join(os.path.expanduser("~"), ".keras")


def resolve_hasher(algorithm, file_hash=None):
    """sha256 when asked for, or for ``"auto"`` with a 64-digit hash; else md5."""
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is not None and len(file_hash) == 64:
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=_CHUNK):
    """The hex digest of a file (``algorithm``: a name or a hashlib object)."""
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=_CHUNK):
    """Whether the file's md5 or sha256 digest is ``file_hash``."""
    return str(hash_file(fpath, resolve_hasher(algorithm, file_hash), chunk_size)) == str(file_hash)


def _inside(base, name):
    target = os.path.realpath(os.path.join(base, name))
    return os.path.commonpath([target, base]) == base


def _extract(archive_path, path, archive_format="auto"):
    """Unpack a tar or zip archive into ``path``; True if it was one.
    Members that would land outside ``path`` (absolute names, ``..``,
    links pointing out) are skipped with a warning."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else formats
    base = os.path.realpath(path)
    for kind in formats:
        if kind == "tar":
            if not tarfile.is_tarfile(archive_path):
                continue
            opener = tarfile.open
        elif kind == "zip":
            if not zipfile.is_zipfile(archive_path):
                continue
            opener = zipfile.ZipFile
        else:
            raise NotImplementedError(kind)
        try:
            with opener(archive_path) as archive:
                if kind == "tar":
                    members = []
                    for info in archive.getmembers():
                        linked_out = ((info.issym() or info.islnk()) and not _inside(
                            base, os.path.join(os.path.dirname(info.name), info.linkname)
                            if info.issym() else info.linkname))
                        if not _inside(base, info.name) or linked_out:
                            warnings.warn(f"Skipping invalid path during archive extraction: "
                                          f"'{info.name}'.", stacklevel=3)
                        else:
                            members.append(info)
                    if hasattr(tarfile, "data_filter"):
                        archive.extractall(path, members=members, filter="data")
                    else:  # pragma: no cover  (Python without extraction filters)
                        archive.extractall(path, members=members)
                else:
                    members = []
                    for info in archive.infolist():
                        if _inside(base, info.filename):
                            members.append(info)
                        else:
                            warnings.warn(f"Skipping invalid path during archive extraction: "
                                          f"'{info.filename}'.", stacklevel=3)
                    archive.extractall(path, members=members)
        except (tarfile.TarError, zipfile.BadZipFile, RuntimeError, KeyboardInterrupt):
            if os.path.isfile(path):
                os.remove(path)
            elif os.path.isdir(path):
                shutil.rmtree(path)
            raise
        return True
    return False


def _download(origin, target):
    print_msg(f"Downloading data from {origin}")
    try:
        with urllib.request.urlopen(origin) as response, open(target, "wb") as out:
            total = response.headers.get("Content-Length")
            progbar = Progbar(int(total) if total else None, unit_name="byte")
            done = 0
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                done += len(chunk)
                progbar.update(done, finalize=False)
            progbar.update(done, finalize=True)
    except urllib.error.HTTPError as e:
        _remove(target)
        raise Exception(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
    except urllib.error.URLError as e:
        _remove(target)
        raise Exception(f"URL fetch failure on {origin}: {e.errno} -- {e.reason}") from e
    except BaseException:
        _remove(target)
        raise


def _remove(path):
    if os.path.exists(path):
        os.remove(path)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Download a file from a URL unless it is already in the cache; return
    its local path.

    The file goes to ``cache_dir/cache_subdir/fname``; ``cache_dir`` defaults
    to ``$BRICKWORK_HOME`` (else ``$KERAS_HOME``, else ``~/.keras``; a
    ``/tmp/.keras`` when that is not writable), so the default place is
    ``~/.keras/datasets``, as in Keras.

    Args:
        fname: The file's name in the cache (no folders); by default the
            last part of the URL's path.
        origin: The URL.
        untar: Deprecated: ``extract=True`` with ``archive_format="tar"``.
        md5_hash: Deprecated: ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: The expected md5 or sha256 hex digest. A cached file that
            does not match is downloaded again; a download that does not
            match raises ``ValueError``.
        cache_subdir: Folder under ``cache_dir``.
        hash_algorithm: ``"md5"``, ``"sha256"`` or ``"auto"`` (by the hash's
            length).
        extract: Unpack the archive (zip or tar, compressed or not) and
            return the folder it was unpacked into: ``<name>_extracted`` when
            ``fname`` has an extension, else ``<name>`` (the archive is then
            kept as ``<name>_archive``).
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list of them,
            or None.
        cache_dir: Base folder of the cache.
        force_download: Download even when the file is cached.

    Returns:
        The path of the file, or of the extracted folder.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if cache_dir is None:
        cache_dir = brickwork_home()
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(os.fspath(cache_dir))
    if not _creatable(base) or not os.access(base, os.W_OK):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'."
                             f"Please specify the `fname` argument.")
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(f"Paths are no longer accepted as the `fname` argument. To specify the "
                         f"file's parent directory, use the `cache_dir` argument. "
                         f"Received: fname={fname}")

    if extract or untar:
        if provided and "." in fname:
            target = os.path.join(datadir, fname)
            stem = fname[:fname.find(".")]
            extraction_dir = os.path.join(datadir, f"{stem}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")
    else:
        target = os.path.join(datadir, fname)

    download = True
    if not force_download and os.path.exists(target):
        download = False
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            print_msg(f"A local file was found, but it seems to be incomplete or outdated "
                      f"because the {hash_algorithm} file hash does not match the original "
                      f"value of {file_hash} so we will re-download the data.")
            download = True
    if download:
        _download(origin, target)
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            raise ValueError(f"Incomplete or corrupted file detected. The {hash_algorithm} file "
                             f"hash does not match the provided value of {file_hash}.")

    if extract or untar:
        if untar:
            archive_format = "tar"
        if not _extract(target, extraction_dir, archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target


def _creatable(path):
    try:
        os.makedirs(path, exist_ok=True)
        return True
    except OSError:
        return False
