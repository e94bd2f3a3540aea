#!/usr/bin/python3
"""Exit 0 when two HDF5 files hold the same data and attributes (the root's aside), shapes and types
included; else print what differs and exit 1 (tbcheck.h5_differences). Usage: h5same.py A B"""
import sys

from tbcheck import h5_differences

diff = h5_differences(sys.argv[1], sys.argv[2])
if diff:
    print(f"{sys.argv[1]} and {sys.argv[2]} differ in: {', '.join(diff[:10])}")
sys.exit(1 if diff else 0)
