"""AWS calls per request, measured on the local platform: runs a user's identity session, then
infractions and classifieds requests, through the gateway and prints, for each request, the
calls each function made (counted by the backend's front door by the key that signed; see
local/src/backend/front_door.rs). Usage: measure_calls.py ENV_FILE"""

import json
import sys
import time
import urllib.request
import uuid

import boto3


def load_env(path):
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value.strip("'")
    return env


ENV = load_env(sys.argv[1])
BASE = ENV["ANDES_BASE_URL"]
CALLS = ENV["AWS_ENDPOINT_URL"] + "/_andes/calls"


def http(method, path, body=None, token=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def calls(method="GET"):
    with urllib.request.urlopen(urllib.request.Request(CALLS, method=method)) as response:
        counted = json.load(response)
    counted.pop("platform", None)  # the platform's own pollers and this script's reads
    return counted


def confirmation_token(email):
    s3 = boto3.client("s3", endpoint_url=ENV["AWS_ENDPOINT_URL"], region_name=ENV["AWS_REGION"],
                      aws_access_key_id=ENV["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=ENV["AWS_SECRET_ACCESS_KEY"])
    bucket = ENV["OUTBOX_BUCKET"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for item in s3.list_objects_v2(Bucket=bucket, Prefix="outbox/").get("Contents", []):
            message = json.load(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"])
            if message["to"]["email"] == email:
                return message["data"]["token"]
        time.sleep(0.2)
    raise SystemExit(f"no confirmation for {email} in the outbox")


def row(name, status, counted):
    cells = []
    for function, operations in sorted(counted.items()):
        listed = ", ".join(f"{op} ×{n}" if n > 1 else op for op, n in sorted(operations.items()))
        cells.append(f"{function}: {listed}")
    total = sum(n for operations in counted.values() for n in operations.values())
    print(f"| {name} | {status} | {total} | {'; '.join(cells) or '—'} |")


def main():
    suffix = uuid.uuid4().hex[:8]
    email, password = f"bench-{suffix}@example.com", "correct horse battery"
    print("| request | status | AWS calls | by function |")
    print("|---|---|---|---|")
    calls("DELETE")
    status, _ = http("POST", "/identity/signup", {
        "email": email, "username": f"bench_{suffix}", "password": password,
        "password_confirmation": password, "name": "Bench"})
    token = confirmation_token(email)
    row("POST /identity/signup (+ notifier)", status, calls("DELETE"))
    status, _ = http("POST", "/identity/verify", {"token": token})
    row("POST /identity/verify", status, calls("DELETE"))
    status, body = http("POST", "/identity/login", {"email": email, "password": password})
    access = body.get("access_token")
    row("POST /identity/login", status, calls("DELETE"))
    status, _ = http("GET", "/identity/me", token=access)
    row("GET /identity/me", status, calls("DELETE"))
    status, _ = http("PATCH", "/identity/me", {"name": "Bench Renamed"}, token=access)
    row("PATCH /identity/me", status, calls("DELETE"))
    status, _ = http("POST", "/identity/login", {"email": email, "password": "wrong password!"})
    row("POST /identity/login (wrong password)", status, calls("DELETE"))

    officer_key = ENV.get("INFRACTIONS_OFFICER_KEY")
    if officer_key:
        status, _ = http("POST", "/infractions/cargar_infraccion", {
            "placa_patente": "GPZ402", "timestamp": "2026-01-01T12:00:00Z", "comentarios": "bench"}, token=officer_key)
        row("POST /infractions/cargar_infraccion", status, calls("DELETE"))
        status, _ = http("GET", "/infractions/generar_informe?email=pedro@gmail.com")
        row("GET /infractions/generar_informe (1 vehicle)", status, calls("DELETE"))

    classifieds(access)


def wait_calls(function, operation, count):
    """Counts so far, once `function` made `operation` `count` times (asynchronous workers)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        counted = calls()
        if counted.get(function, {}).get(operation, 0) >= count:
            return calls("DELETE")
        time.sleep(0.05)
    raise SystemExit(f"{function} never made {operation} ×{count}")


def classifieds(access):
    """A seller's session: draft, one photo (presigned PUT + image-uploaded), publication
    (+ publisher), public reads, an anonymous buyer's message."""
    status, ad = http("POST", "/classifieds/ads", {
        "model_id": 73, "city_id": 1, "type": "street", "origin": "national", "fabrication_year": 2022,
        "model_year": 2023, "mileage": 8000, "color": "red", "price": "14900.00",
        "brake_system": "combined", "ignition": "electric", "cooling": "air"}, token=access)
    row("POST /classifieds/ads", status, calls("DELETE"))
    ad_id = ad["id"]
    photo = open("data/classifieds/demo/img/1.jpeg", "rb").read()
    status, upload = http("POST", f"/classifieds/ads/{ad_id}/images",
                          {"content_type": "image/jpeg", "size": len(photo)}, token=access)
    row("POST /classifieds/ads/{id}/images (presign)", status, calls("DELETE"))
    request = urllib.request.Request(upload["url"], data=photo, method="PUT")
    request.add_header("content-type", "image/jpeg")
    with urllib.request.urlopen(request) as response:
        status = response.status
    row("PUT presigned upload → image-uploaded", status,
        wait_calls("ClassifiedsImageUploadedFunction", "DynamoDB.PutItem", 1))
    status, _ = http("POST", f"/classifieds/ads/{ad_id}/publish", token=access)
    row("POST /classifieds/ads/{id}/publish (+ publisher, 1 photo)", status,
        wait_calls("ClassifiedsPublisherFunction", "S3.DELETE", 1))
    status, _ = http("GET", f"/classifieds/ads/{ad_id}")
    row("GET /classifieds/ads/{id} (public)", status, calls("DELETE"))
    status, _ = http("GET", "/classifieds/ads?brand=7&price_max=20000&limit=20")
    row("GET /classifieds/ads?brand=7&price_max=20000", status, calls("DELETE"))
    status, _ = http("POST", f"/classifieds/ads/{ad_id}/messages",
                     {"text": "Ainda disponível?", "name": "Bench", "email": "bench@example.com"})
    row("POST /classifieds/ads/{id}/messages (anonymous, first)", status, calls("DELETE"))


if __name__ == "__main__":
    main()
