"""Latency and throughput of three routes through the local platform, for `make bench`: a
GetItem route (GET /dining/venues/{id}), the infractions report of the fixture owner (a GetItem
and a Query per vehicle, topped up to 100 infractions first) and signup (Argon2 and a
TransactWriteItems).
Prints a markdown table: p50 and p90 of sequential requests, requests/s of CONCURRENCY clients.
Usage: measure_latency.py ENV_FILE"""

import json
import statistics
import threading
import time
import urllib.request
import uuid

from measure_calls import ENV  # the env file named on the command line

SEQUENTIAL = 200
CONCURRENCY = 4
CONCURRENT_SECONDS = 5.0
# Signup hashes a password (Argon2id, ~50 ms by design): fewer of them.
SIGNUP_SEQUENTIAL = 30

BASE = ENV["ANDES_BASE_URL"]
REPORT = "/infractions/generar_informe?email=pedro@gmail.com"
REPORT_INFRACTIONS = 100


def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        response.read()
        status = response.status
    return status, (time.perf_counter() - started) * 1000


def top_up_report():
    """The fixture owner's vehicle GPZ402 gets infractions until the report lists 100."""
    with urllib.request.urlopen(BASE + REPORT) as response:
        listed = len(json.load(response))
    for n in range(listed, REPORT_INFRACTIONS):
        call("POST", "/infractions/cargar_infraccion", {
            "placa_patente": "GPZ402", "timestamp": f"2025-01-01T00:{n // 60:02d}:{n % 60:02d}Z",
            "comentarios": f"bench {n}"}, token=ENV["INFRACTIONS_OFFICER_KEY"])
    with urllib.request.urlopen(BASE + REPORT) as response:
        return len(json.load(response))


def signup_body():
    suffix = uuid.uuid4().hex[:12]
    return {"email": f"bench-{suffix}@example.com", "username": f"bench_{suffix}",
            "password": "correct horse battery", "password_confirmation": "correct horse battery",
            "name": "Bench"}


def measure(name, request, sequential):
    for _ in range(10):  # warm instances and caches
        request()
    times = sorted(request()[1] for _ in range(sequential))
    done = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + CONCURRENT_SECONDS

    def client():
        while time.perf_counter() < deadline:
            request()
            with lock:
                done[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = done[0] / (time.perf_counter() - started)
    p90 = times[int(len(times) * 0.9) - 1]
    print(f"| {name} | {statistics.median(times):.1f} ms | {p90:.1f} ms | {rate:.0f} |", flush=True)


def main():
    with urllib.request.urlopen(BASE + "/dining/venues?limit=1") as response:
        venue = json.load(response)["items"][0]["id"]
    infractions = top_up_report()
    print(f"| route | p50 ({SEQUENTIAL} sequential) | p90 | requests/s ({CONCURRENCY} clients) |")
    print("|---|---|---|---|")
    measure("GET /dining/venues/{id} (GetItem)", lambda: call("GET", f"/dining/venues/{venue}"), SEQUENTIAL)
    measure(f"GET /infractions/generar_informe ({infractions} infractions)", lambda: call("GET", REPORT), SEQUENTIAL)
    measure("POST /identity/signup (Argon2id + transaction)",
            lambda: call("POST", "/identity/signup", signup_body()), SIGNUP_SEQUENTIAL)


if __name__ == "__main__":
    main()
