"""`keras.utils.get_file`: download a file (once) into a cache directory, check its hash,
and optionally extract it — Keras 3's semantics, with the standard library's urllib, hashlib,
tarfile and zipfile."""
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

__all__ = ["get_file", "validate_file"]


def _hash_file(path, algorithm, chunk_size=65535):
    hasher = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file at `fpath` has `file_hash` (sha256, or md5 for a 32-digit hash under
    "auto")."""
    if algorithm == "sha256" or (algorithm == "auto" and len(file_hash) == 64):
        algorithm = "sha256"
    else:
        algorithm = "md5"
    return str(_hash_file(fpath, algorithm, chunk_size)) == str(file_hash)


def _extract_archive(file_path, path, archive_format="auto"):
    """Extract a tar or zip archive into `path`; True when one of the formats matched."""
    formats = {"auto": ("tar", "zip"), "tar": ("tar",), "zip": ("zip",)}.get(
        archive_format, archive_format if isinstance(archive_format, (list, tuple)) else ())
    for kind in formats:
        is_match = tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile
        if not is_match(file_path):
            continue
        try:
            if kind == "tar":
                with tarfile.open(file_path) as archive:
                    archive.extractall(path, filter="data")
            else:
                with zipfile.ZipFile(file_path) as archive:
                    root = os.path.realpath(path)
                    for member in archive.namelist():   # refuse paths leaving `path`
                        target = os.path.realpath(os.path.join(path, member))
                        if os.path.commonpath([root, target]) != root:
                            raise ValueError(f"Archive member {member!r} escapes {path}")
                    archive.extractall(path)
        except Exception:
            if os.path.exists(path):
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
            raise
        return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Download `origin` to `cache_dir/cache_subdir/fname` unless it is there already (with the
    right `file_hash`), and return its path (or, with `extract`, the extracted folder's).

    Args:
      fname: the file's name in the cache (default: the URL's last component); not a path.
      origin: the URL (`https://...`, `file://...`).
      untar: deprecated; `extract=True` with a tar archive.
      md5_hash: deprecated; `file_hash` with `hash_algorithm="md5"`.
      file_hash: the expected sha256 (or md5) hex digest; checked after download, and a cached
        file that does not match is downloaded again.
      cache_subdir: the folder under `cache_dir` (default "datasets").
      hash_algorithm: "md5", "sha256" or "auto".
      extract: extract a tar or zip archive into `<fname>_extracted` (or `<fname>`).
      archive_format: "auto", "tar", "zip", or a list of them.
      cache_dir: the cache's root (default `$KERAS_HOME`, else `~/.keras`).
      force_download: download even when the file is cached.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> src = os.path.join(d, "data.txt"); _ = open(src, "w").write("hello")
    >>> path = tf.keras.utils.get_file(origin="file://" + src, cache_dir=os.path.join(d, "c"))
    Downloading data from file://...
    >>> open(path).read(), os.path.relpath(path, d)
    ('hello', 'c/datasets/data.txt')
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME") or os.path.join(
            os.path.expanduser("~"), ".keras")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir_base = os.path.expanduser(str(cache_dir))
    os.makedirs(datadir_base, exist_ok=True)
    if not os.access(datadir_base, os.W_OK):
        datadir_base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(datadir_base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    provided_fname = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'."
                             "Please specify the `fname` argument.")
    elif os.sep in fname:
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the "
                         f"file's parent directory, use the `cache_dir` argument. Received: "
                         f"fname={fname}")
    if extract or untar:
        if provided_fname and "." in fname:
            download_target = os.path.join(datadir, fname)
            fname = fname[:fname.find(".")]
            extraction_dir = os.path.join(datadir, f"{fname}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            download_target = os.path.join(datadir, f"{fname}_archive")
    else:
        download_target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(download_target)
    if not download and file_hash is not None and not validate_file(
            download_target, file_hash, algorithm=hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because the "
              f"{hash_algorithm} file hash does not match the original value of {file_hash} "
              "so we will re-download the data.")
        download = True
    if download:
        print(f"Downloading data from {origin}")
        try:
            try:
                urllib.request.urlretrieve(origin, download_target)
            except urllib.error.HTTPError as e:
                raise Exception(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
            except urllib.error.URLError as e:
                raise Exception(f"URL fetch failure on {origin}: {e.errno} -- "
                                f"{e.reason}") from e
        except (Exception, KeyboardInterrupt):
            if os.path.exists(download_target):
                os.remove(download_target)
            raise
        if file_hash is not None and not validate_file(download_target, file_hash,
                                                       algorithm=hash_algorithm):
            raise ValueError(f"Incomplete or corrupted file detected. The {hash_algorithm} "
                             f"file hash does not match the provided value of {file_hash}.")
    if extract or untar:
        if not _extract_archive(download_target, extraction_dir,
                                "tar" if untar else archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return download_target
