//! The virtual lab: virtual phones (with SE and the Mynaportal app), virtual My Number Cards and a virtual
//! authority that answer the same transports real devices answer.

pub mod authority;
pub mod card;
pub mod phone;
pub mod vpcd;
