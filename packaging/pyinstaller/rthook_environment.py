"""PyInstaller runtime hook: runs in the frozen app before any of its own code.

On Linux the bootloader prepends the bundle's folder to LD_LIBRARY_PATH (keeping the user's
value in LD_LIBRARY_PATH_ORIG). The app's own libraries are already resolved by then (the
dynamic loader reads the variable once, at start), but every program the app starts inherits
it: "Connect account" opens the browser through xdg-open, and a browser that loads our bundled
libglib/libstdc++ instead of the system's can crash. Restore the user's value for children.
See PyInstaller's "LD_LIBRARY_PATH / LIBPATH considerations".
"""

import os
import sys


def _restore_library_path() -> None:
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd", "sunos")):
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)


_restore_library_path()
del _restore_library_path
