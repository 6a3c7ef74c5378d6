//! Ownership (§1, §2): the authorizer has already checked the route's role; these rules decide
//! what this caller may see or do to this resource. Another user's reservation is a 404 (its
//! existence is not disclosed); another restaurant acting on a venue is a 403 "Invalid user".

use andes_shared::http::ApiError;

use super::reservation::{reservation_not_found, Reservation};

pub const INVALID_USER: &str = "Invalid user";
/// 404 of a diner's stats or points the caller may not read (the contract fixes the status only).
pub const USER_NOT_FOUND: &str = "User does not exist";

/// 403 of a restaurant acting on a venue that is not its own.
pub fn invalid_user() -> ApiError {
    ApiError::Forbidden(INVALID_USER.into())
}

/// 404 of a diner's stats or points the caller may not read, or of an unknown diner.
pub fn user_not_found() -> ApiError {
    ApiError::NotFound(USER_NOT_FOUND.into())
}

/// The part the caller plays on a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Made it.
    Diner,
    /// Owns its venue (a venue's id is its owner's account id).
    VenueOwner,
}

/// The caller's part on `reservation`, or 404 "Reservation does not exist" when it has none. An
/// account that booked at its own venue acts as the diner.
pub fn actor(reservation: &Reservation, caller: &str) -> Result<Actor, ApiError> {
    if reservation.user == caller {
        Ok(Actor::Diner)
    } else if reservation.venue == caller {
        Ok(Actor::VenueOwner)
    } else {
        Err(reservation_not_found())
    }
}

/// The owner check of a venue route (`PATCH`, `DELETE`, status, venue stats): 403 "Invalid user"
/// for anyone else.
pub fn check_venue_owner(venue_id: &str, caller: &str) -> Result<(), ApiError> {
    if venue_id == caller {
        Ok(())
    } else {
        Err(invalid_user())
    }
}

/// The caller of a route open to clients and restaurants, with its roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    pub id: &'a str,
    pub client: bool,
    pub restaurant: bool,
}

/// Whether `caller` may read diner `diner`'s stats or points (§2, §7): a client only its own; a
/// restaurant only a diner with at least one reservation (any status) at its venue,
/// `booked_at_callers_venue`. Anything else is answered 404 ([`user_not_found`]).
pub fn may_read_diner(caller: Caller<'_>, diner: &str, booked_at_callers_venue: bool) -> bool {
    (caller.client && caller.id == diner) || (caller.restaurant && booked_at_callers_venue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{detail, reservation};

    #[test]
    fn the_diner_and_the_venue_owner_have_their_parts_others_get_404() {
        let reservation = reservation(); // diner-1 at owner-1
        assert_eq!(actor(&reservation, "diner-1").unwrap(), Actor::Diner);
        assert_eq!(actor(&reservation, "owner-1").unwrap(), Actor::VenueOwner);
        let error = actor(&reservation, "someone-else").unwrap_err();
        assert_eq!(error.status().as_u16(), 404);
        assert_eq!(detail(&error), "Reservation does not exist");
    }

    #[test]
    fn booking_at_ones_own_venue_acts_as_the_diner() {
        let mut reservation = reservation();
        reservation.user = reservation.venue.clone();
        assert_eq!(actor(&reservation, &reservation.venue).unwrap(), Actor::Diner);
    }

    #[test]
    fn only_the_owner_acts_on_a_venue() {
        assert!(check_venue_owner("owner-1", "owner-1").is_ok());
        let error = check_venue_owner("owner-1", "owner-2").unwrap_err();
        assert_eq!(error.status().as_u16(), 403);
        assert_eq!(detail(&error), "Invalid user");
    }

    #[test]
    fn diners_read_their_own_data_and_venues_their_diners() {
        let client = Caller {
            id: "diner-1",
            client: true,
            restaurant: false,
        };
        assert!(may_read_diner(client, "diner-1", false));
        assert!(!may_read_diner(client, "diner-2", true), "a client reads only itself");
        let restaurant = Caller {
            id: "owner-1",
            client: false,
            restaurant: true,
        };
        assert!(may_read_diner(restaurant, "diner-1", true));
        assert!(
            !may_read_diner(restaurant, "diner-1", false),
            "seed bug: any restaurant read any diner"
        );
        assert!(
            !may_read_diner(restaurant, "owner-1", false),
            "a restaurant is not a diner of its own"
        );
        let both = Caller {
            id: "owner-1",
            client: true,
            restaurant: true,
        };
        assert!(may_read_diner(both, "owner-1", false));
        assert_eq!(user_not_found().status().as_u16(), 404);
    }
}
