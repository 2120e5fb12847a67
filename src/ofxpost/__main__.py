"""``python -m ofxpost``: the same as the ``ofxpost`` command."""

from __future__ import annotations

if __name__ == "__main__":
    from ofxpost._cli.main import main

    raise SystemExit(main())
