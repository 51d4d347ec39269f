//! Virtual cards that a real pcscd sees: the card side of vsmartcard's vpcd protocol. The framing is
//! `mynacert_wire::vpcd` (re-exported as `codec`); [`card`] is sans IO; [`serve`] puts cards on TCP
//! sockets towards vpcd.

pub mod card;
pub mod serve;

pub use mynacert_wire::vpcd as codec;

pub use card::{SessionOpener, VpcdCard};
pub use codec::{CodecError, FrameDecoder, Request, encode_frame};
pub use serve::{CardServer, CardSlot, VPCD_PORT, VPCD_SLOTS, reader_name, serve_cards};

#[cfg(test)]
mod tests;
