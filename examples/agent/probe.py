"""Connect to a named service for the demo agent: 'local' (127.0.0.1:9)
or 'metadata' (the cloud metadata endpoint 169.254.169.254:80). Prints
what happened; a PermissionError means the gate refused the connect."""
import socket
import sys

TARGETS = {"local": ("127.0.0.1", 9), "metadata": ("169.254.169.254", 80)}
name = sys.argv[1]
s = socket.socket()
s.settimeout(1)
try:
    s.connect(TARGETS[name])
    print(f"[agent] {name}: connected")
except PermissionError as e:
    print(f"[agent] {name}: refused by the gate ({e.strerror})")
except OSError as e:
    print(f"[agent] {name}: {e.strerror or e} (the gate let it through)")
