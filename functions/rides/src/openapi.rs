//! The rides API's OpenAPI document: its routes, described on the handlers themselves, and the
//! request bodies as the handlers accept them (with the handlers' own bounds).

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(info(title = "Andes rides API"), paths())]
struct RidesApi;

/// The document as the code describes it (`andes-openapi` completes and writes it).
pub fn document() -> utoipa::openapi::OpenApi {
    RidesApi::openapi()
}
