"""What tradebal's Python tools (report, import) share: one-line errors with tradebal's exit codes."""
import sys


class ToolError(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


def fail(code, msg):
    raise ToolError(code, msg)


def run(name, main, layout_errors=()):
    """sys.exit(main(argv)); a ToolError or one of layout_errors (a file not laid out as docs/formats.md
    says: exit 3) becomes `tradebal: error: NAME: ...` on one line."""
    try:
        sys.exit(main(sys.argv[1:]))
    except ToolError as e:
        print(f"tradebal: error: {name}: {e}", file=sys.stderr)
        sys.exit(e.code)
    except layout_errors as e:
        print(f"tradebal: error: {name}: the file does not have the layout of docs/formats.md ({e!r})",
              file=sys.stderr)
        sys.exit(3)
