"""AWS calls per request of a rides session (seed 000), measured on the local platform like
measure_calls.py (whose helpers it reuses): two users, a circle, invitations, a join, a ride,
a seat, a rating, the lists. Usage: measure_calls_rides.py ENV_FILE"""

import datetime
import uuid

from measure_calls import calls, confirmation_token, http, row


def session(suffix, name):
    email, password = f"bench-{name}-{suffix}@example.com", "correct horse battery"
    username = f"{name}_{suffix}"
    http("POST", "/identity/signup", {
        "email": email, "username": username, "password": password,
        "password_confirmation": password, "name": name})
    http("POST", "/identity/verify", {"token": confirmation_token(email)})
    _, body = http("POST", "/identity/login", {"email": email, "password": password})
    return username, body["access_token"]


def later(minutes):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    suffix = uuid.uuid4().hex[:8]
    ana, ana_token = session(suffix, "ana")
    bob, bob_token = session(suffix, "bob")
    slug = f"bench-{suffix}"
    print("| request | status | AWS calls | by function |")
    print("|---|---|---|---|")
    calls("DELETE")
    status, _ = http("GET", f"/rides/users/{ana}/profile", token=ana_token)
    row("GET /rides/users/{username}/profile (first rides call)", status, calls("DELETE"))
    status, _ = http("GET", f"/rides/users/{ana}/profile", token=ana_token)
    row("GET /rides/users/{username}/profile", status, calls("DELETE"))
    status, _ = http("POST", "/rides/circles", {"name": "Bench", "slug": slug}, token=ana_token)
    row("POST /rides/circles", status, calls("DELETE"))
    status, body = http("GET", f"/rides/circles/{slug}/members/{ana}/invitations", token=ana_token)
    row("GET .../members/{username}/invitations (issues 10 codes)", status, calls("DELETE"))
    code = body["invitations"][0]
    status, _ = http("GET", f"/rides/circles/{slug}/members/{ana}/invitations", token=ana_token)
    row("GET .../members/{username}/invitations (nothing to issue)", status, calls("DELETE"))
    http("GET", f"/rides/users/{bob}/profile", token=bob_token)
    calls("DELETE")
    status, _ = http("POST", f"/rides/circles/{slug}/members", {"invitation_code": code}, token=bob_token)
    row("POST /rides/circles/{slug}/members (join with a code)", status, calls("DELETE"))
    status, body = http("POST", f"/rides/circles/{slug}/rides", {
        "available_seats": 3, "departure_location": "CU", "departure_date": later(30),
        "arrival_location": "Santa Fe", "arrival_date": later(90)}, token=ana_token)
    row("POST /rides/circles/{slug}/rides", status, calls("DELETE"))
    ride = body["id"]
    status, _ = http("GET", f"/rides/circles/{slug}/rides", token=bob_token)
    row("GET /rides/circles/{slug}/rides", status, calls("DELETE"))
    status, _ = http("POST", f"/rides/circles/{slug}/rides/{ride}/join", token=bob_token)
    row("POST .../rides/{id}/join", status, calls("DELETE"))
    status, _ = http("POST", f"/rides/circles/{slug}/rides/{ride}/rate", {"rating": 5}, token=bob_token)
    row("POST .../rides/{id}/rate", status, calls("DELETE"))
    status, _ = http("GET", f"/rides/circles?search={slug}", token=bob_token)
    row("GET /rides/circles?search=", status, calls("DELETE"))
    status, _ = http("GET", f"/rides/users/{bob}", token=bob_token)
    row("GET /rides/users/{username}", status, calls("DELETE"))


if __name__ == "__main__":
    main()
