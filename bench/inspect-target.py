# A process holding N sockets for bench/inspect.sh: N/2 loopback TCP connections, both
# ends in this process (so every socket has TCP_INFO, timers and skmem). Prints its pid,
# then holds them until stdin closes.
import json, os, resource, socket, sys
n = int(sys.argv[1])
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
listener = socket.create_server(('127.0.0.1', 0), backlog=4096)
held = []
for _ in range(n // 2):
    c = socket.create_connection(listener.getsockname())
    a, _ = listener.accept()
    held += [c, a]
print(json.dumps({'pid': os.getpid(), 'sockets': len(held) + 1}), flush=True)
sys.stdin.read()
