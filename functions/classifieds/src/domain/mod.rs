//! Classifieds rules as plain types and functions: ads and their validation, money and
//! statuses (`ad`), photos, upload keys and image types (`images`), chats and contacts
//! (`chat`), seller profiles (`profile`), the public list's filters (`search`), what a
//! publication attempt does with an ad (`publication`). No AWS here.

mod ad;
mod chat;
mod images;
mod profile;
mod publication;
mod search;

pub use ad::*;
pub use chat::*;
pub use images::*;
pub use profile::*;
pub use publication::*;
pub use search::*;
