//! The request bodies of the dining API, as `domain::validation` reads them: every field it
//! accepts, with its bounds (its constants), required as it requires them. Unknown fields are
//! ignored there, so the bodies allow them.

use andes_shared::openapi::{array_of, integer, nullable_text, one_of_strings, patch_of, text};
use chrono::{DateTime, Utc};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::{date, described, distinct, with_pattern};
use crate::domain::validation::{
    MAX_CAPACITY, MAX_LEAD_DAYS, MAX_NAME, MAX_OPINION, MAX_PICTURES, MAX_SLOTS, MAX_URL, MAX_VACATIONS,
};
use crate::domain::venue::{CHARACTERISTICS, FEATURES};
use crate::domain::{Location, SlotTime, VenueAction, Zone};

/// `validation::url`: `http` or `https` (any case), a host, no blank.
const URL_PATTERN: &str = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s][^\s]*$";
/// `validation::phone`, the seed's rule.
const PHONE_PATTERN: &str = r"^\+?1?[0-9]{9,15}$";

fn name() -> Schema {
    text(1, MAX_NAME)
}
fn capacity() -> Schema {
    integer(1, MAX_CAPACITY as i64)
}
/// Up to the venue's capacity, which is at most [`MAX_CAPACITY`].
fn people() -> Schema {
    described(integer(1, MAX_CAPACITY as i64), "1 to the venue's capacity.")
}
fn url() -> Schema {
    with_pattern(text(1, MAX_URL), URL_PATTERN)
}
fn nullable_url() -> Schema {
    with_pattern(nullable_text(MAX_URL), URL_PATTERN)
}
fn pictures() -> Schema {
    array_of(url(), MAX_PICTURES)
}
fn slots() -> Schema {
    distinct(SlotTime::schema(), 1, MAX_SLOTS)
}
fn characteristics() -> Schema {
    distinct(one_of_strings(CHARACTERISTICS), 0, CHARACTERISTICS.len())
}
fn features() -> Schema {
    distinct(one_of_strings(FEATURES), 0, FEATURES.len())
}
fn vacations() -> Schema {
    distinct(date(), 0, MAX_VACATIONS)
}
fn lead_time() -> Schema {
    integer(0, MAX_LEAD_DAYS as i64)
}
fn action() -> Schema {
    one_of_strings(VenueAction::ALL.map(VenueAction::as_str))
}
fn opinion() -> Schema {
    text(1, MAX_OPINION)
}
fn phone() -> Schema {
    with_pattern(text(9, 17), PHONE_PATTERN)
}

/// `POST /dining/venues`. Other fields (`id`, `owner`, `status`, `created`, `updated`) are
/// ignored; `null` counts as absent. Names are trimmed; slots and vacations come back sorted.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VenueBody {
    #[schema(schema_with = name)]
    name: String,
    location: Location,
    /// `America/Argentina/Buenos_Aires` when absent.
    timezone: Option<Zone>,
    #[schema(schema_with = capacity)]
    capacity: u32,
    #[schema(schema_with = nullable_url)]
    logo: Option<String>,
    #[schema(schema_with = pictures)]
    pictures: Option<Vec<String>>,
    #[schema(schema_with = nullable_url)]
    menu: Option<String>,
    #[schema(schema_with = slots)]
    slots: Vec<SlotTime>,
    #[schema(schema_with = characteristics)]
    characteristics: Option<Vec<String>>,
    #[schema(schema_with = features)]
    features: Option<Vec<String>>,
    #[schema(schema_with = vacations)]
    vacations: Option<Vec<String>>,
    /// Whole days.
    #[schema(schema_with = lead_time)]
    reservation_lead_time: Option<u32>,
}

/// `PATCH /dining/venues/{id}`: any fields of [`VenueBody`], each checked as there.
pub struct VenuePatchBody;

impl PartialSchema for VenuePatchBody {
    fn schema() -> RefOr<Schema> {
        let description = "Any fields of a `VenueBody`, each checked as there. `null` leaves a field as it is, \
            except `logo` and `menu`, which it removes.";
        RefOr::T(Schema::Object(patch_of::<VenueBody>(description)))
    }
}

impl ToSchema for VenuePatchBody {}

/// `POST /dining/venues/{id}/status`: `open` → `Available`, `close` → `Closed`, `occupy` →
/// `Occupied`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VenueStatusBody {
    #[schema(schema_with = action)]
    action: String,
}

/// `POST /dining/reservations`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReservationBody {
    /// The venue's id (one that does not exist is a 400).
    venue: String,
    /// The start of one of the venue's slots, with any offset.
    time: DateTime<Utc>,
    #[schema(schema_with = people)]
    people: u32,
}

/// `PATCH /dining/reservations/{id}`: an action (`cancel: true`, `advance_forward`) or the
/// diner's change of `time` and/or `people`; values equal to the current ones are no change.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReservationPatchBody {
    /// The venue owner: `true` accepts (Unconfirmed) or marks assisted (Accepted), `false`
    /// cancels (Unconfirmed) or marks a no-show (Accepted). The diner: `false` cancels.
    advance_forward: Option<bool>,
    /// `true` cancels (either party).
    cancel: Option<bool>,
    /// The diner's new time (a slot start, as when booking).
    time: Option<DateTime<Utc>>,
    #[schema(schema_with = people)]
    people: Option<u32>,
}

/// `POST /dining/opinions`. A `venue` or `date` in the body is ignored (they come from the
/// reservation and the server).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OpinionBody {
    /// An Assisted reservation of the caller's.
    reservation: String,
    /// Trimmed; newlines and tabs are kept.
    #[schema(schema_with = opinion)]
    opinion: String,
}

/// `PATCH /dining/me`: changes the caller's identity account.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MePatchBody {
    #[schema(schema_with = name)]
    name: Option<String>,
    #[schema(schema_with = phone)]
    phone: Option<String>,
}
