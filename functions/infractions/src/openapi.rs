//! The infractions API's OpenAPI document: its routes, described on the handlers themselves, and the
//! request bodies as the handlers accept them (with the handlers' own bounds).

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(info(title = "Andes infractions API"), paths())]
struct InfractionsApi;

/// The document as the code describes it (`andes-openapi` completes and writes it).
pub fn document() -> utoipa::openapi::OpenApi {
    InfractionsApi::openapi()
}
