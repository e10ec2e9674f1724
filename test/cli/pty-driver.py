# Runs a command on a pseudo-terminal, as a person at a terminal would: waits for each expected text, then types
# the given keys; prints {"output", "code"} as JSON when the command ends. Used by the CLI's terminal tests.
import json
import os
import pty
import select
import sys
import time

steps = json.loads(sys.argv[1])
command = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

output = b''
seen = 0


def read(timeout):
    global output
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return 'timeout'
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return 'eof'
    if not chunk:
        return 'eof'
    output += chunk
    return 'data'


def fail(reason):
    print(json.dumps({'output': output.decode('utf8', 'replace'), 'code': None, 'error': reason}))
    sys.exit(1)


for expected, keys in steps:
    deadline = time.time() + 60
    while output.find(expected.encode(), seen) < 0:
        if time.time() > deadline or read(1) == 'eof':
            fail('never saw ' + expected)
    seen = output.find(expected.encode(), seen) + len(expected)
    os.write(fd, keys.encode())

while True:
    state = read(60)
    if state == 'eof':
        break
    if state == 'timeout':
        os.kill(pid, 9)
        fail('the command did not end')
_, status = os.waitpid(pid, 0)
print(json.dumps({'output': output.decode('utf8', 'replace'), 'code': os.waitstatus_to_exitcode(status)}))
