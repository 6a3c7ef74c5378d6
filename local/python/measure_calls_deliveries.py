"""AWS calls per request of a deliveries session (seed 002), measured on the local platform like
measure_calls.py (whose helpers it reuses): the demo admin (roles user, admin) registers a
warehouse and a transport run, places an order with an Idempotency-Key (and repeats it), follows
its events until the saga dispatches it, reads it, lists orders, departs the run, delivers the
order and reads the daily stats. A request's row counts the function that answered it and the
authorizer; the background functions (saga, projector, notifier) work asynchronously, so their
calls are summed apart, phase by phase, each phase ending once they have been quiet for a few
seconds. Usage: measure_calls_deliveries.py ENV_FILE"""

import sys
import time
import uuid

from measure_calls import ENV, calls, http, row

BACKGROUND = ("DeliveriesSagaFunction", "DeliveriesProjectorFunction", "IdentityNotifierFunction")
DEPARTURE, ARRIVAL = "2031-03-01T08:00:00Z", "2031-03-01T18:00:00Z"  # never expired by the schedule


def split(counted, background):
    """The foreground functions' counts; the background ones are added to `background`."""
    foreground = {}
    for function, operations in counted.items():
        if function in BACKGROUND:
            into = background.setdefault(function, {})
            for operation, n in operations.items():
                into[operation] = into.get(operation, 0) + n
        else:
            foreground[function] = operations
    return foreground


def settle(background, quiet=3.0, timeout=60):
    """Waits until no function has made a call for `quiet` seconds, then adds the background
    functions' calls to `background` (a foreground call here is someone else's traffic)."""
    last, since = None, time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        counted = calls()
        if counted != last:
            last, since = counted, time.monotonic()
        elif time.monotonic() - since >= quiet:
            stray = split(calls("DELETE"), background)
            if stray:
                print(f"warning: calls of other traffic while settling: {stray}", file=sys.stderr)
            return
        time.sleep(0.1)
    raise SystemExit("the background functions never went quiet")


def main():
    suffix = uuid.uuid4().hex[:8]
    _, login = http("POST", "/identity/login",
                    {"email": ENV["ANDES_ADMIN_EMAIL"], "password": ENV["ANDES_ADMIN_PASSWORD"]})
    token = login["access_token"]
    place = f"Tunja {suffix}"  # no other warehouse there: the saga's choice is this one
    print("| request | status | AWS calls | by function |")
    print("|---|---|---|---|")
    registered, life, departed, delivered = {}, {}, {}, {}
    calls("DELETE")

    status, warehouse = http("POST", "/deliveries/warehouses",
                             {"name": f"Bodega {suffix}", "location": place, "capacity": 100}, token=token)
    row("POST /deliveries/warehouses", status, split(calls("DELETE"), registered))
    status, transport = http("POST", "/deliveries/transports", {
        "vehicle_plate": f"B-{suffix}", "cargo_type": "food", "warehouse_id": warehouse["id"],
        "route": {"destination": "Medellín", "departure_date": DEPARTURE, "arrival_date": ARRIVAL}}, token=token)
    row("POST /deliveries/transports", status, split(calls("DELETE"), registered))
    settle(registered)

    order_body = {
        "products": [{"code": f"P-{n:03}", "name": f"Producto {n}", "category": "lacteos"} for n in (1, 2)],
        "route": {"origin": place, "destination": "Medellín", "departure_date": DEPARTURE, "arrival_date": ARRIVAL},
        "cargo_type": "food"}
    key = f"bench-{suffix}"
    status, order = http("POST", "/deliveries/orders", order_body, token, {"idempotency-key": key})
    row("POST /deliveries/orders (Idempotency-Key)", status, split(calls("DELETE"), life))
    order_id = order["id"]
    status, _ = http("POST", "/deliveries/orders", order_body, token, {"idempotency-key": key})
    row("POST /deliveries/orders (same key again: the order it created)", status, split(calls("DELETE"), life))

    events = f"/deliveries/orders/{order_id}/events"
    after, polls, types, polled = 0, 0, [], {}
    while "OrderDispatched" not in types and polls < 20:
        status, page = http("GET", f"{events}?after={after}&wait=20", token=token)
        polls += 1
        types += [event["type"] for event in page["items"]]
        after = page["stream_version"]
        for function, operations in split(calls("DELETE"), life).items():
            into = polled.setdefault(function, {})
            for operation, n in operations.items():
                into[operation] = into.get(operation, 0) + n
    if "OrderDispatched" not in types:
        raise SystemExit(f"order {order_id} not dispatched: {types}")
    row(f"GET .../orders/{{id}}/events?after=&wait=20 (long-poll until dispatched, {polls} requests)",
        status, polled)
    settle(life)

    status, _ = http("GET", f"/deliveries/orders/{order_id}", token=token)
    row("GET /deliveries/orders/{id} (projected)", status, split(calls("DELETE"), life))
    status, _ = http("GET", "/deliveries/orders", token=token)
    row("GET /deliveries/orders (staff: every order, first page)", status, split(calls("DELETE"), life))
    status, _ = http("GET", f"{events}?after=0", token=token)
    row("GET /deliveries/orders/{id}/events (6 events)", status, split(calls("DELETE"), life))

    status, _ = http("POST", f"/deliveries/transports/{transport['id']}/depart", token=token)
    row("POST /deliveries/transports/{id}/depart", status, split(calls("DELETE"), departed))
    settle(departed)
    status, _ = http("POST", f"/deliveries/orders/{order_id}/deliver", token=token)
    row("POST /deliveries/orders/{id}/deliver", status, split(calls("DELETE"), delivered))
    settle(delivered)
    status, _ = http("GET", "/deliveries/stats/daily", token=token)
    row("GET /deliveries/stats/daily (7 dates)", status, split(calls("DELETE"), delivered))

    row("background: warehouse and transport registered (saga: take-waiting step)", "—", registered)
    row("background: order placed → dispatched (saga: reserve, assign; projector; notifier)", "—", life)
    row("background: transport departed", "—", departed)
    row("background: order delivered (projector; notifier)", "—", delivered)
    whole = {}
    for phase in (life, departed, delivered):
        split(phase, whole)
    row("background: the order's whole life", "—", whole)


if __name__ == "__main__":
    main()
