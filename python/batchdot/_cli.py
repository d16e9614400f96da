"""The `batchdot` console script of the wheel: runs the C++ command-line tool the
package carries (batchdot/bin/batchdot), with the same arguments and exit status."""
import os
import sys


def main():
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "batchdot")
    if not os.access(tool, os.X_OK):
        sys.exit(f"batchdot: error: the command-line tool is missing from this installation ({tool})")
    os.execv(tool, [tool, *sys.argv[1:]])


if __name__ == "__main__":
    main()
