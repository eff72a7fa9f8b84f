"""The bare bundle benchmarks/bench_bundle.py compares the app against: one PySide6 window.

Built with the same PyInstaller settings as the app (hello_window.spec shares
bundle_common.py). --self-test mirrors the app's: show the window, process events, exit.
"""

import sys

from PySide6.QtWidgets import QApplication, QLabel


def main() -> int:
    app = QApplication(sys.argv[:1])
    label = QLabel("Hello")
    label.resize(320, 200)
    label.show()
    if "--self-test" in sys.argv:
        app.processEvents()
        ok = label.isVisible()
        print(f"self-test {'ok' if ok else 'FAILED'}: hello window, Qt platform "
              f"{app.platformName()}")
        return 0 if ok else 1
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
