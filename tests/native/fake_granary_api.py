#!/usr/bin/env python3
"""A fake Granary REST API for testing deploy/gpu-probe/run.sh without a GPU node.

Serves the few endpoints run.sh uses. A created batch session "runs" its command by running the real probe
(GPU_PROBE_BIN) against the fake CUDA driver (its directory in FAKE_CUDA_DIR), with the SMs and memory an MPS share
would give (FAKE_SHARE_SCALE < 1 makes every share get less, FAKE_ENFORCED=0 gives every share the whole device),
after checking that the command carries the probe itself. Writes its port to the file named by argv[1]; records
every request to argv[2] as lines "METHOD PATH". Stops after 10 minutes.
"""
import base64, json, os, re, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = os.environ["FAKE_KEY"]
PROBE = os.environ["GPU_PROBE_BIN"]
SMS, MEMORY, PER_GPU = 132, 80 << 30, 5
sessions, lock, log = {}, threading.Lock(), open(sys.argv[2], "a", buffering=1)


def run_probe(session_id, share, arguments):
    enforced = os.environ.get("FAKE_ENFORCED", "1") == "1"
    scale = float(os.environ.get("FAKE_SHARE_SCALE", "1"))
    env = dict(os.environ, LD_LIBRARY_PATH=os.environ["FAKE_CUDA_DIR"])
    if enforced and share < 1:
        env["FAKE_CUDA_SM_LIMIT"] = str(max(1, round(SMS * share * scale)))
        env["FAKE_CUDA_MEMORY_LIMIT"] = str(int(MEMORY * share * scale))
    done = subprocess.run([PROBE] + arguments, env=env, capture_output=True, text=True, timeout=120)
    with lock:
        sessions[session_id]["logs"] = done.stdout


class Api(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body, separators=(",", ":")).encode() if not isinstance(body, str) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        log.write(f"{self.command} {self.path}\n")
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            self.answer(401, {"title": "Unauthorized"})
            return False
        return True

    def do_GET(self):
        if not self.authorized():
            return
        if self.path == "/v1/agents":
            return self.answer(200, [{"id": "gpu-node", "capacity": {"fgpuPerGpu": PER_GPU, "enforcementMode": "mps"}}])
        match = re.fullmatch(r"/v1/sessions/([^/]+)(/logs)?", self.path)
        with lock:
            session = sessions.get(match.group(1)) if match else None
        if session is None:
            return self.answer(404, {"title": "Not found"})
        if match.group(2):
            return self.answer(200, session["logs"])
        return self.answer(200, {"id": match.group(1), "status": "RUNNING"})

    def do_POST(self):
        if not self.authorized():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        resources, command = body["resources"], body["command"]
        share = 1.0 if resources.get("gpu") == 1 else resources["fgpu"] / PER_GPU
        payload = re.match(r"echo (\S+) \| base64 -d > /tmp/gpu-probe", command)
        if body.get("type") != "batch" or not payload or base64.b64decode(payload.group(1)) != open(PROBE, "rb").read():
            return self.answer(400, {"title": "the command does not carry the probe", "command": command[:200]})
        arguments = re.search(r"&& /tmp/gpu-probe (.*?);", command).group(1).split()
        with lock:
            session_id = f"s-{len(sessions) + 1}"
            sessions[session_id] = {"logs": "starting\n"}
        threading.Thread(target=run_probe, args=(session_id, share, arguments), daemon=True).start()
        return self.answer(201, {"id": session_id, "status": "PENDING", "resources": resources})

    def do_DELETE(self):
        if not self.authorized():
            return
        return self.answer(202, {"status": "TERMINATING"})


server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
with open(sys.argv[1], "w") as port_file:
    port_file.write(str(server.server_address[1]))
threading.Timer(600, server.shutdown).start()
server.serve_forever()
