"""Time from POST /classifieds/ads/{id}/publish to `published` for an ad with 3 photos, on a
running local platform with the classifieds demo data loaded (it logs in as the first demo
account). Usage: measure_publish.py ENV_FILE RUNS"""
import json, sys, time, urllib.request, statistics
env = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line and not line.startswith("#") and "=" in line:
        k, v = line.split("=", 1); env[k] = v.strip("'")
B = env["ANDES_BASE_URL"]
def http(method, path, body=None, token=None, raw=None, ctype="application/json", url=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    r = urllib.request.Request(url or B + path, data=data, method=method)
    r.add_header("content-type", ctype)
    if token: r.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(r) as resp:
        t = resp.read()
        return json.loads(t) if t else None
name, email, pw = open("data/classifieds/demo/accounts.csv").readline().strip().split(";")
tok = http("POST", "/identity/login", {"email": email, "password": pw})["access_token"]
photos = [open(f"data/classifieds/demo/img/{n}.jpeg", "rb").read() for n in (1, 2, 3)]
body = {"model_id":73,"city_id":1,"type":"street","origin":"national","fabrication_year":2022,"model_year":2023,"mileage":8000,"color":"red","price":"14900.00","brake_system":"combined","ignition":"electric","cooling":"air"}
samples = []
for i in range(int(sys.argv[2])):
    ad = http("POST", "/classifieds/ads", body, tok)["id"]
    for p in photos:
        up = http("POST", f"/classifieds/ads/{ad}/images", {"content_type": "image/jpeg", "size": len(p)}, tok)
        http("PUT", None, raw=p, ctype="image/jpeg", url=up["url"])
    while len(http("GET", f"/classifieds/ads/{ad}", token=tok)["images"]) < 3: time.sleep(0.02)
    t0 = time.monotonic()
    http("POST", f"/classifieds/ads/{ad}/publish", token=tok)
    while http("GET", f"/classifieds/ads/{ad}", token=tok)["status"] != "published": time.sleep(0.01)
    samples.append((time.monotonic() - t0) * 1000)
samples.sort()
print("publish -> published (3 photos), ms: median %.0f, min %.0f, max %.0f, n=%d" % (statistics.median(samples), samples[0], samples[-1], len(samples)))
print(" ".join("%.0f" % s for s in samples))
