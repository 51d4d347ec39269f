//! Virtual cards that a real pcscd sees: the card side of vsmartcard's vpcd protocol. [`codec`] and
//! [`card`] are sans IO; [`serve`] puts them on TCP sockets towards vpcd.

pub mod card;
pub mod codec;
pub mod serve;

pub use card::{SessionOpener, VpcdCard};
pub use codec::{CodecError, FrameDecoder, Request, encode_frame};
pub use serve::{CardServer, CardSlot, VPCD_PORT, VPCD_SLOTS, reader_name, serve_cards};

#[cfg(test)]
mod tests;
