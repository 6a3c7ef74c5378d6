"""AWS calls per request of a dining session (seed 004), measured on the local platform like
measure_calls.py (whose helpers it reuses): a restaurant and a diner sign up (identity signup with
`user_type`, verified through the outbox); the restaurant creates its venue, the public lists it
(by characteristic, near), reads it and a date's availability; the diner books with an
Idempotency-Key (and repeats it), both list the reservation, the venue accepts it and marks it
assisted, the diner posts an opinion, then the reads of opinions, summary, profile, points and
stats, and the summaries and decay schedules fired as of a given time. A request's row counts the
function that answered it and the authorizer; the change stream router, the events worker and the
notifier work asynchronously, so their calls are summed apart, phase by phase, each phase ending
once they have been quiet for a few seconds (measure_calls_deliveries.settle); a schedule's phase
is the swept function's own calls. Usage: measure_calls_dining.py ENV_FILE"""

import datetime
import uuid

from measure_calls import calls, confirmation_token, http, row
import measure_calls_deliveries as deliveries
from measure_calls_deliveries import settle, split

# `split` and `settle` sort calls by their module's BACKGROUND: here, the functions that work off
# the request path (the expiry schedule fires every 5 minutes on its own: a run of it lands in a
# phase, named, rather than in a request's row).
deliveries.BACKGROUND = ("DiningChangesFunction", "DiningEventsFunction", "IdentityNotifierFunction",
                         "DiningSummariesFunction", "DiningDecayPointsFunction",
                         "DiningExpireReservationsFunction")
BUENOS_AIRES = datetime.timezone(datetime.timedelta(hours=-3))  # the venue's zone (the default)


def account(suffix, user_type):
    """A verified, logged-in account signed up as `user_type`: (account id, access token)."""
    email, password = f"bench-{user_type}-{suffix}@example.com", "correct horse battery"
    http("POST", "/identity/signup", {
        "email": email, "username": f"{user_type}_{suffix}", "password": password,
        "password_confirmation": password, "name": f"Bench {user_type}", "user_type": user_type})
    http("POST", "/identity/verify", {"token": confirmation_token(email)})
    _, body = http("POST", "/identity/login", {"email": email, "password": password})
    return body["account"]["id"], body["access_token"]


def wire(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    suffix = uuid.uuid4().hex[:8]
    venue_id, owner = account(suffix, "restaurant")
    diner_id, diner = account(suffix, "client")
    # A place of its own near Buenos Aires (±0.5°), so near and the lists find few other venues.
    bits = uuid.uuid4().int
    lat = -34.6 + ((bits & 0xFFFF) / 0xFFFF - 0.5)
    lon = -58.4 + (((bits >> 16) & 0xFFFF) / 0xFFFF - 0.5)
    date = (datetime.datetime.now(BUENOS_AIRES) + datetime.timedelta(days=7)).date()
    time = wire(datetime.datetime.combine(date, datetime.time(20, 0), BUENOS_AIRES))
    print("| request | status | AWS calls | by function |")
    print("|---|---|---|---|")
    venue, booked, accepted, assisted, opinion, summaries, decay = {}, {}, {}, {}, {}, {}, {}
    calls("DELETE")  # the signups: identity's, measured by measure_calls.py
    settle({})  # and their notices

    status, _ = http("POST", "/dining/venues", {
        "name": f"La Pizzeria {suffix}", "location": {"lat": lat, "lon": lon}, "capacity": 40,
        "slots": ["20:00", "21:30"], "characteristics": ["Pizzas", "Pasta"], "features": ["Wifi"]},
        token=owner)
    row("POST /dining/venues (2 characteristics, 1 feature)", status, split(calls("DELETE"), venue))
    status, _ = http("GET", "/dining/venues?characteristic=Pizzas&feature=Wifi")
    row("GET /dining/venues?characteristic=Pizzas&feature=Wifi", status, split(calls("DELETE"), venue))
    status, _ = http("GET", f"/dining/venues/near?lat={lat}&lon={lon}&radius_m=5000")
    row("GET /dining/venues/near?lat=&lon=&radius_m=5000", status, split(calls("DELETE"), venue))
    status, _ = http("GET", f"/dining/venues/{venue_id}")
    row("GET /dining/venues/{id}", status, split(calls("DELETE"), venue))
    status, _ = http("GET", f"/dining/venues/{venue_id}/availability?date={date}")
    row("GET /dining/venues/{id}/availability?date= (2 slots)", status, split(calls("DELETE"), venue))
    settle(venue)

    booking = {"venue": venue_id, "time": time, "people": 2}
    key = f"bench-{suffix}"
    status, reservation = http("POST", "/dining/reservations", booking, diner, {"idempotency-key": key})
    row("POST /dining/reservations (Idempotency-Key)", status, split(calls("DELETE"), booked))
    reservation_id = reservation["id"]
    status, _ = http("POST", "/dining/reservations", booking, diner, {"idempotency-key": key})
    row("POST /dining/reservations (same key again: the first answer)", status, split(calls("DELETE"), booked))
    status, _ = http("GET", "/dining/reservations", token=diner)
    row("GET /dining/reservations (the diner's)", status, split(calls("DELETE"), booked))
    status, _ = http("GET", "/dining/me/venue/reservations", token=owner)
    row("GET /dining/me/venue/reservations (with the diner)", status, split(calls("DELETE"), booked))
    settle(booked)

    path = f"/dining/reservations/{reservation_id}"
    status, _ = http("PATCH", path, {"advance_forward": True}, token=owner)
    row("PATCH /dining/reservations/{id} (venue: advance → Accepted)", status, split(calls("DELETE"), accepted))
    settle(accepted)
    status, _ = http("PATCH", path, {"advance_forward": True}, token=owner)
    row("PATCH /dining/reservations/{id} (venue: advance → Assisted)", status, split(calls("DELETE"), assisted))
    settle(assisted)

    status, _ = http("POST", "/dining/opinions", {
        "reservation": reservation_id, "opinion": "Muy buena pizza. Volveremos pronto!"}, token=diner)
    row("POST /dining/opinions", status, split(calls("DELETE"), opinion))
    settle(opinion)

    status, _ = http("GET", f"/dining/opinions?venue={venue_id}")
    row("GET /dining/opinions?venue=", status, split(calls("DELETE"), opinion))
    status, _ = http("GET", f"/dining/summaries/{venue_id}")
    row("GET /dining/summaries/{venue} (none yet)", status, split(calls("DELETE"), opinion))
    status, _ = http("GET", "/dining/me", token=diner)
    row("GET /dining/me", status, split(calls("DELETE"), opinion))
    status, _ = http("PATCH", "/dining/me", {"name": "Bench Diner", "phone": "+5491112345678"}, token=diner)
    row("PATCH /dining/me (name, phone)", status, split(calls("DELETE"), opinion))
    status, _ = http("GET", f"/dining/users/{diner_id}/points", token=diner)
    row("GET /dining/users/{id}/points", status, split(calls("DELETE"), opinion))
    status, _ = http("GET", f"/dining/stats/users/{diner_id}", token=diner)
    row("GET /dining/stats/users/{id}", status, split(calls("DELETE"), opinion))
    status, _ = http("GET", f"/dining/stats/venues/{venue_id}", token=owner)
    row("GET /dining/stats/venues/{id}", status, split(calls("DELETE"), opinion))
    status, _ = http("GET", "/dining/reservations/history", token=diner)
    row("GET /dining/reservations/history (1, with its opinion)", status, split(calls("DELETE"), opinion))
    settle(opinion)

    now = datetime.datetime.now(datetime.timezone.utc)
    summaries_status, _ = http("POST", f"/_local/schedules/DiningSummariesFunction?time={wire(now)}")
    split(calls("DELETE"), summaries)
    settle(summaries)
    later = wire(now + datetime.timedelta(days=15))
    decay_status, _ = http("POST", f"/_local/schedules/DiningDecayPointsFunction?time={later}")
    split(calls("DELETE"), decay)
    settle(decay)

    row("background: venue created, read (nothing follows)", "—", venue)
    row("background: booked (router: 2 created notices; notifier)", "—", booked)
    row("background: accepted (router: the diner's notice; notifier)", "—", accepted)
    row("background: assisted (router: notice + event; events worker; notifier)", "—", assisted)
    row("background: opinion (router: the venue's notice + event; events worker; notifier)", "—", opinion)
    whole = {}
    for phase in (booked, accepted, assisted, opinion):
        split(phase, whole)
    row("background: the reservation's whole life (booked → opinion)", "—", whole)
    row("schedule: summaries as of now (each venue with a recent opinion; this one's 1 makes none)",
        summaries_status, summaries)
    row("schedule: decay as of 15 days later (each total inactive 14 days; this diner's 100 → 0)",
        decay_status, decay)


if __name__ == "__main__":
    main()
